"""Archive-wide orders of tags and publishers (pure), sorted once per archive instead of on every listing request.

`tags` and `publishers` list every tag or publisher of the archive; sorting them (and folding
every tag name for a prefix) per request costs time in proportion to the archive. An archive
never changes, so each order is made on its first listing and kept with it (memo.PerArchive).
"""

from __future__ import annotations

from newsgraph.archive.archive import Archive, Publisher, Tag
from newsgraph.archive.memo import PerArchive
from newsgraph.archive.text import fold

_orders: PerArchive[str, list] = PerArchive(entries=3)
_folded: PerArchive[str, dict[str, str]] = PerArchive(entries=1)


def tags_by_count(archive: Archive) -> list[Tag]:
    """Most events first, then by key: the order of `tags(orderBy: COUNT)`."""
    return _orders.get(archive, "tags-count", lambda: sorted(archive.tags.values(), key=tag_count_key))


def tags_by_name(archive: Archive) -> list[Tag]:
    """By key (the case-folded name): the order of `tags(orderBy: NAME)`."""
    return _orders.get(archive, "tags-name", lambda: sorted(archive.tags.values(), key=tag_name_key))


def folded_tag_names(archive: Archive) -> dict[str, str]:
    """Tag key → its name folded (lower case, no accents), as a `prefix` is compared."""
    return _folded.get(archive, "tags", lambda: {key: fold(tag.name) for key, tag in archive.tags.items()})


def publishers_by_count(archive: Archive) -> list[Publisher]:
    """Most cited first, then by domain: the order of `publishers`."""
    return _orders.get(archive, "publishers", lambda: sorted(archive.publishers.values(), key=publisher_count_key))


def tag_count_key(tag: Tag) -> tuple:
    return (-len(tag.event_paths), tag.key)


def tag_name_key(tag: Tag) -> tuple:
    return (tag.key,)


def publisher_count_key(publisher: Publisher) -> tuple:
    return (-len(publisher.event_paths), publisher.domain)
