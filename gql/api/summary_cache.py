"""summaryHtml: a summary's markdown as safe HTML (newsgraph.parse renders it, within a work budget), cached.

The same events are rendered again and again, so rendered summaries are kept, within
CACHE_ENTRIES and CACHE_CHARS.
"""

from __future__ import annotations

from newsgraph.api.bounded_cache import BoundedCache
from newsgraph.parse import render_summary

CACHE_ENTRIES = 4096  # rendered summaries kept: the same events are rendered again and again
CACHE_CHARS = 32_000_000  # ... and at most this much HTML in all (a few huge summaries must not hold gigabytes)

_CACHE: BoundedCache[str, str] = BoundedCache(CACHE_CHARS, lambda markdown, html: len(markdown) + len(html),
                                               CACHE_ENTRIES)


def summary_html(markdown: str) -> str:
    """HTML for a summary; cached because the same events are rendered again and again."""
    html = _CACHE.get(markdown)
    if html is None:
        html = render_summary(markdown)
        _CACHE.put(markdown, html)
    return html
