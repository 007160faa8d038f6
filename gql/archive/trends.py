"""Trending tags: which tags grew most in a window of days against the window of the same length before it.

Pure, over a built `Archive`. Archive positions are in date order, so a window of days is one range of
positions (`Archive.date_range`) and a tag's events in it are one slice of the tag's ascending positions
(two bisections). Counting a window takes the cheaper of two ways, with the same answer:

- by events: the tags of each event in the window, O(events in the window × tags per event);
- by tags: two bisections per tag, O(tags × log events), when the window holds more events than the
  archive has tags (a window of years over a large archive).

Then each candidate (a tag with at least `min_count` events in the window) gets its count in the
preceding window by two bisections, and the best `first` are kept with a bounded heap:
O(min(events in W × tags per event, tags × log N) + candidates × log N + candidates × log first).
No step looks at an event outside the window, except by bisection.
"""

from __future__ import annotations

import datetime as dt
import heapq
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from newsgraph.archive.archive import Archive


@dataclass(frozen=True)
class Trend:
    """One tag's growth: its events in the window and in the preceding window, and the score."""

    key: str  # the tag's key (`Tag.key`)
    count: int
    previous_count: int

    @property
    def score(self) -> float:
        """(count + 1) / (previous count + 1): growth with add-one smoothing, so a tag new in the window scores
        count + 1 rather than infinity, and 3 events against 0 (4.0) beats 1 against 0 (2.0)."""
        return (self.count + 1) / (self.previous_count + 1)


def preceding_window(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date] | None:
    """The window of the same number of days that ends the day before `date_from`; None when no day precedes.

    Before 0001-01-01 there are no days: the preceding window is cut there.
    """
    if date_from == dt.date.min:
        return None
    length = dt.timedelta(days=(date_to - date_from).days + 1)
    start = date_from - length if date_from.toordinal() > length.days else dt.date.min
    return start, date_from - dt.timedelta(days=1)


def _count_in(positions: Sequence[int], span: range) -> int:
    """How many of ascending `positions` lie in `span` (a forward range)."""
    low = bisect_left(positions, span.start)
    return bisect_left(positions, span.stop, low) - low


def window_tag_counts(archive: Archive, span: range) -> dict[str, int]:
    """Events per tag key within `span` (archive positions), for the tags that have any there."""
    if len(span) > len(archive.tags):  # more events than tags: two bisections per tag are fewer steps
        return count_by_tags(archive, span)
    return count_by_events(archive, span)


def count_by_events(archive: Archive, span: range) -> dict[str, int]:
    """`window_tag_counts` from the tags of each event in the span: O(events in span × tags per event)."""
    counter: Counter[str] = Counter()
    ascending, event_tags = archive.ascending, archive.event_tags
    for position in span:
        keys = event_tags.get(ascending[position])
        if keys:
            counter.update(keys)
    return dict(counter)


def count_by_tags(archive: Archive, span: range) -> dict[str, int]:
    """`window_tag_counts` from two bisections in each tag's ascending positions: O(tags × log events)."""
    if not span:
        return {}
    counts = ((key, _count_in(archive.tag_key_positions(key), span)) for key in archive.tags)
    return {key: count for key, count in counts if count}


def trending_tags(archive: Archive, date_from: dt.date, date_to: dt.date, min_count: int, first: int) -> list[Trend]:
    """The `first` tags with at least `min_count` events in [date_from, date_to], by score (highest first),
    then count (highest first), then key. The caller checks the arguments (from ≤ to, min_count ≥ 1, first ≥ 0)."""
    if first <= 0:
        return []
    window = archive.date_range(date_from, date_to)
    preceding = preceding_window(date_from, date_to)
    before = archive.date_range(*preceding) if preceding else range(0)
    trends = (
        Trend(key, count, _count_in(archive.tag_key_positions(key), before) if before else 0)
        for key, count in window_tag_counts(archive, window).items()
        if count >= min_count
    )
    return heapq.nsmallest(first, trends, key=lambda trend: (-trend.score, -trend.count, trend.key))
