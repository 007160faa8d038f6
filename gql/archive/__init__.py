"""The in-memory read model built from the store: indexes, link resolution, search."""

from gql.archive.archive import Archive, Publisher, Tag, publisher_domain, tag_key
from gql.archive.search import SearchQuery, SearchQueryError, highlight, parse_query

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
