"""newsgraph: a GraphQL API over an archive of news events written as markdown.

For scripts: `Newsgraph` loads files or markdown into a store and runs queries;
`parse_event` and `render_event` convert between markdown and `Event` records.
"""

from gql.loader import LoadOptions, LoadReport
from gql.parse import Event, ParseLimits, Problem, parse_event, render_event
from gql.scripting import Newsgraph

__all__ = ["Event", "LoadOptions", "LoadReport", "Newsgraph", "ParseLimits", "Problem", "parse_event", "render_event"]
