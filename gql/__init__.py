"""newsgraph: a GraphQL API over an archive of news events written as markdown.

For scripts: `Newsgraph` loads files or markdown into a store, runs GraphQL
queries (and mutations) against it and exports it, no server needed; a load
returns a `LoadReport` with counts, `Problem`s and, for markdown strings, one
`DocumentOutcome` per document. `parse_event` and `render_event` convert between
markdown and `Event` records.
"""

from gql.loader import DocumentOutcome, LoadOptions, LoadReport
from gql.parse import Event, ParseLimits, Problem, Severity, parse_event, render_event
from gql.scripting import Newsgraph
from gql.store import StoreError

__all__ = [
    "DocumentOutcome",
    "Event",
    "LoadOptions",
    "LoadReport",
    "Newsgraph",
    "ParseLimits",
    "Problem",
    "Severity",
    "StoreError",
    "parse_event",
    "render_event",
]
