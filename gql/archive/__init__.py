"""The in-memory read model built from the store: indexes, link resolution, search."""

from newsgraph.archive.archive import Archive, Publisher, Tag, publisher_domain, tag_key
from newsgraph.archive.search import SearchQuery, SearchQueryError, parse_query
from newsgraph.archive.snippets import highlight

__all__ = [
    "Archive",
    "Publisher",
    "SearchQuery",
    "SearchQueryError",
    "Tag",
    "highlight",
    "parse_query",
    "publisher_domain",
    "tag_key",
]
