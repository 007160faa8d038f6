"""The in-memory read model built from the store: indexes, link resolution, search; the holder that swaps it."""

from newsgraph.archive.archive import Archive, Positions, Publisher, Tag, publisher_domain, tag_key
from newsgraph.archive.changes import ArchiveChange, ChangeFeed
from newsgraph.archive.holder import ArchiveHolder
from newsgraph.archive.search import Matches, SearchQuery, SearchQueryError, parse_query, set_deadline_check
from newsgraph.archive.snippets import highlight
from newsgraph.archive.text import fold

__all__ = [
    "Archive",
    "ArchiveChange",
    "ArchiveHolder",
    "ChangeFeed",
    "Matches",
    "Positions",
    "Publisher",
    "SearchQuery",
    "SearchQueryError",
    "Tag",
    "fold",
    "highlight",
    "parse_query",
    "publisher_domain",
    "set_deadline_check",
    "tag_key",
]
