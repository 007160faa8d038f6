"""Identity of an event: the slug rule and canonical paths of docs/format.md.

The canonical path is the join key of the whole graph (related links point at
it), so this module is the single place that knows how it is formed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

SLUG_MAX_LENGTH = 140
_NON_SLUG_RUN = re.compile(r"[^a-z0-9]+")


def slugify(headline: str) -> str:
    """NFKD-fold to ASCII, lower-case, runs of other characters to '-', cut, trim."""
    ascii_text = unicodedata.normalize("NFKD", headline).encode("ascii", "ignore").decode("ascii")
    dashed = _NON_SLUG_RUN.sub("-", ascii_text.lower())
    return dashed[:SLUG_MAX_LENGTH].strip("-")


def day_directory(date: dt.date) -> str:
    """`/news/YYYY/MM/D`: month zero-padded, day not."""
    return f"/news/{date.year:04d}/{date.month:02d}/{date.day}"


def canonical_path(date: dt.date, headline: str) -> str:
    """The path an event is known by: its day directory plus the headline's slug."""
    return f"{day_directory(date)}/{slugify(headline)}.md"


def date_from_path(path: str) -> dt.date | None:
    """The date encoded in a `/news/YYYY/MM/D/slug.md` path, or None when it has none."""
    parts = path.strip("/").split("/")
    if len(parts) != 5 or parts[0] != "news" or not parts[4].endswith(".md"):
        return None
    try:
        return dt.date(int(parts[1]), int(parts[2]), int(parts[3]))
    except ValueError:
        return None


def slug_from_path(path: str) -> str:
    """The slug part of a path (file name without `.md`)."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name[:-3] if name.endswith(".md") else name
