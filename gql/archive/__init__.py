"""The in-memory read model built from the store: indexes, link resolution, search; the holder that swaps it."""

from newsgraph.archive.archive import Archive, Positions, Publisher, Tag, publisher_domain, tag_key
from newsgraph.archive.changes import ArchiveChange, ChangeFeed
from newsgraph.archive.doctor import FILE_ONLY_KINDS, KINDS, Finding, Health, Subject, diagnose
from newsgraph.archive.holder import ArchiveHolder
from newsgraph.archive.orders import (
    folded_tag_names,
    publisher_count_key,
    publishers_by_count,
    tag_count_key,
    tag_name_key,
    tags_by_count,
    tags_by_name,
)
from newsgraph.archive.search import Matches, SearchQuery, SearchQueryError, parse_query, set_deadline_check
from newsgraph.archive.similar import (
    MAX_QUERY_TERMS,
    MAX_SIMILAR,
    MAX_TAG_EVENTS,
    MAX_TERM_EVENTS,
    TAG_WEIGHT,
    SimilarHit,
    similar_events,
)
from newsgraph.archive.snippets import highlight
from newsgraph.archive.text import fold
from newsgraph.archive.threads import MAX_THREAD_EVENTS, StoryThread, thread_of
from newsgraph.archive.trends import Trend, trending_tags

__all__ = [
    "MAX_QUERY_TERMS",
    "MAX_SIMILAR",
    "MAX_TAG_EVENTS",
    "MAX_TERM_EVENTS",
    "MAX_THREAD_EVENTS",
    "TAG_WEIGHT",
    "Archive",
    "ArchiveChange",
    "ArchiveHolder",
    "ChangeFeed",
    "FILE_ONLY_KINDS",
    "Finding",
    "Health",
    "KINDS",
    "Matches",
    "Positions",
    "Publisher",
    "SearchQuery",
    "SearchQueryError",
    "Subject",
    "SimilarHit",
    "StoryThread",
    "Tag",
    "Trend",
    "diagnose",
    "fold",
    "folded_tag_names",
    "publisher_count_key",
    "publishers_by_count",
    "tag_count_key",
    "tag_name_key",
    "tags_by_count",
    "tags_by_name",
    "highlight",
    "parse_query",
    "publisher_domain",
    "set_deadline_check",
    "similar_events",
    "tag_key",
    "thread_of",
    "trending_tags",
]
