"""newsgraph: a GraphQL API over an archive of news events written as markdown.

For scripts: `Newsgraph` loads files or markdown into a store, runs GraphQL
queries (and mutations) against it and exports it, no server needed; a load
returns a `LoadReport` with counts, `Problem`s and, for markdown strings, one
`DocumentOutcome` per document. `parse_event` and `render_event` convert between
markdown and `Event` records.

The names are imported on first use (module `__getattr__`), so `newsgraph load` and
its worker processes, which import `newsgraph.load`, never pay for Strawberry and the
GraphQL stack that `Newsgraph` pulls in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsgraph.lazy import lazy_exports

_EXPORTS = {
    "DocumentOutcome": "newsgraph.load",
    "Event": "newsgraph.parse",
    "LoadOptions": "newsgraph.load",
    "LoadReport": "newsgraph.load",
    "Newsgraph": "newsgraph.scripting",
    "ParseLimits": "newsgraph.parse",
    "Problem": "newsgraph.parse",
    "Severity": "newsgraph.parse",
    "StoreError": "newsgraph.store",
    "parse_event": "newsgraph.parse",
    "render_event": "newsgraph.parse",
}

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

if TYPE_CHECKING:
    from newsgraph.load import DocumentOutcome, LoadOptions, LoadReport
    from newsgraph.parse import (
        Event,
        ParseLimits,
        Problem,
        Severity,
        parse_event,
        render_event,
    )
    from newsgraph.scripting import Newsgraph
    from newsgraph.store import StoreError


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
