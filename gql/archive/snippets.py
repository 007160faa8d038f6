"""Search snippets (pure): the passage of a text around its first match, matches marked."""

from __future__ import annotations

import html

from newsgraph.archive.search import SearchQuery
from newsgraph.archive.text import words_with_offsets

SNIPPET_CHARS = 180


def highlight(text: str, query: SearchQuery, max_chars: int = SNIPPET_CHARS) -> str | None:
    """HTML: a window of `text` around its first matching word, every match in `<mark>`; None when none."""
    words = set(query.all_tokens)
    prefixes = query.prefixes

    def matches(word: str) -> bool:
        return word in words or any(word.startswith(prefix) for prefix in prefixes)

    spans = [(start, end) for word, start, end in words_with_offsets(text) if matches(word)]
    if not spans:
        return None
    first = spans[0][0]
    start = max(0, first - max_chars // 3)
    if start > 0:
        start = text.find(" ", start, first) + 1 or start
    end = min(len(text), start + max_chars)
    if end < len(text):
        end = text.rfind(" ", spans[0][1], end) if text.rfind(" ", spans[0][1], end) > 0 else end
    pieces, cursor = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end or span_start < cursor:
            continue
        pieces.append(html.escape(text[cursor:span_start]))
        pieces.append("<mark>" + html.escape(text[span_start:span_end]) + "</mark>")
        cursor = span_end
    pieces.append(html.escape(text[cursor:end]))
    return ("…" if start > 0 else "") + "".join(pieces) + ("…" if end < len(text) else "")
