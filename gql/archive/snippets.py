"""Search snippets (pure): the passage of a text around its first match, matches marked.

The text is read only as far as the passage needs, a segment of about SEGMENT_CHARS at a
time (cut at whitespace, which no word crosses): ASCII segments, nearly all of them, by
one regular expression over the lower-cased segment (for ASCII, folding is lower-casing);
others word by word, as `words_with_offsets` folds them, and only when the folded segment
holds a query word at all. A summary of a megabyte whose only match is at its end then
costs milliseconds, not a Python step per word; the installed deadline check
(`newsgraph.archive.search.set_deadline_check`) is called between segments.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache

from newsgraph.archive.search import Deadline, SearchQuery, deadline_check
from newsgraph.archive.text import fold, words_with_offsets

SNIPPET_CHARS = 180
SEGMENT_CHARS = 8192
_SPACE = re.compile(r"\s")


class _Terms:
    """What a query marks: its words, and the words starting with one of its prefixes."""

    def __init__(self, query: SearchQuery) -> None:
        self.words = frozenset(query.all_tokens)
        self.prefixes = query.prefixes
        self.all = tuple(self.words) + self.prefixes  # every folded word that matches holds one of these
        ascii_words = sorted((word for word in self.words if word.isascii()), key=len, reverse=True)
        ascii_prefixes = sorted((prefix for prefix in self.prefixes if prefix.isascii()), key=len, reverse=True)
        choices = [re.escape(word) + r"(?![^\W_])" for word in ascii_words]
        choices += [re.escape(prefix) + r"[^\W_]*" for prefix in ascii_prefixes]
        # a whole word of lower-cased ASCII text, equal to a word or starting with a prefix: as `matches` decides
        self.ascii = re.compile(r"(?<![^\W_])(?:" + "|".join(choices) + ")") if choices else None

    def matches(self, word: str) -> bool:
        return word in self.words or any(word.startswith(prefix) for prefix in self.prefixes)

    def spans(self, text: str, deadline: Deadline) -> Iterator[tuple[int, int]]:
        """(start, end) of each matching word of `text`, in order: what the word-by-word reading finds."""
        length = len(text)
        at = 0
        while at < length:
            deadline()
            cut = _SPACE.search(text, at + SEGMENT_CHARS) if at + SEGMENT_CHARS < length else None
            stop = cut.start() if cut else length
            segment = text[at:stop]
            if segment.isascii():
                if self.ascii is not None:
                    for match in self.ascii.finditer(segment.lower()):
                        yield at + match.start(), at + match.end()
            elif any(map(fold(segment).__contains__, self.all)):
                for word, start, end in words_with_offsets(segment):
                    if self.matches(word):
                        yield at + start, at + end
            at = stop


@lru_cache(maxsize=256)
def _terms(query: SearchQuery) -> _Terms:
    return _Terms(query)


def highlight(text: str, query: SearchQuery, max_chars: int = SNIPPET_CHARS, deadline: Deadline | None = None) -> str | None:
    """HTML: a window of `text` around its first matching word, every match in `<mark>`; None when none."""
    spans = _terms(query).spans(text, deadline or deadline_check())
    first_span = next(spans, None)
    if first_span is None:
        return None
    first, first_end = first_span
    start = max(0, first - max_chars // 3)
    if start > 0:
        start = text.find(" ", start, first) + 1 or start
    end = min(len(text), start + max_chars)
    if end < len(text):
        end = text.rfind(" ", first_end, end) if text.rfind(" ", first_end, end) > 0 else end
    pieces, cursor = [], start
    for span_start, span_end in _chain(first_span, spans):
        if span_end > end:
            break  # every later match starts after this one: outside the window too
        if span_start < start or span_start < cursor:
            continue
        pieces.append(html.escape(text[cursor:span_start]))
        pieces.append("<mark>" + html.escape(text[span_start:span_end]) + "</mark>")
        cursor = span_end
    pieces.append(html.escape(text[cursor:end]))
    return ("…" if start > 0 else "") + "".join(pieces) + ("…" if end < len(text) else "")


def _chain(first: tuple[int, int], rest: Iterator[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    yield first
    yield from rest
