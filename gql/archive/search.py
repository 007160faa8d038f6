"""Full-text search over headline, summary and source names (pure, in memory).

BM25 ranking over an inverted index of folded words; `"quoted phrases"` must occur
word for word, `prefix*` matches every word that starts so. A headline equal to the
query ranks first, then headlines holding it as a phrase.
"""

from __future__ import annotations

import html
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gql.archive.text import tokens, words_with_offsets

HEADLINE_WEIGHT = 3  # a word in the headline counts as this many in the body
K1, B = 1.2, 0.75
EXACT_HEADLINE_BONUS = 1_000.0
HEADLINE_PHRASE_BONUS = 100.0
SNIPPET_CHARS = 180
_QUERY_PART = re.compile(r'"([^"]*)"?|(\S+)')


class SearchQueryError(ValueError):
    """The search text holds nothing to search for."""


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: words that must all match, prefixes, and phrases."""

    words: tuple[str, ...]
    prefixes: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    sequence: tuple[str, ...] = ()  # every word in query order, repeats kept: compared with headlines

    @property
    def all_tokens(self) -> tuple[str, ...]:
        return self.words + self.prefixes


def parse_query(text: str) -> SearchQuery:
    """`"exact phrase" word pref*` → a `SearchQuery`; raises when nothing searchable is left."""
    words: list[str] = []
    prefixes: list[str] = []
    phrases: list[tuple[str, ...]] = []
    for match in _QUERY_PART.finditer(text):
        phrase, term = match.group(1), match.group(2)
        if phrase is not None:
            phrase_tokens = tuple(tokens(phrase))
            words.extend(phrase_tokens)
            if len(phrase_tokens) > 1:
                phrases.append(phrase_tokens)
            continue
        term_tokens = tokens(term)
        if term.endswith("*") and term_tokens:
            words.extend(term_tokens[:-1])
            prefixes.append(term_tokens[-1])
        else:
            words.extend(term_tokens)
    if not words and not prefixes:
        raise SearchQueryError(f"search text {text[:60]!r} has no words to search for")
    return SearchQuery(tuple(dict.fromkeys(words)), tuple(dict.fromkeys(prefixes)), tuple(phrases), tuple(words))


@dataclass(frozen=True)
class SearchDocument:
    """The searchable text of one event."""

    key: str
    headline: str
    body: str  # summary and source names


@dataclass(frozen=True)
class Hit:
    key: str
    score: float


class SearchIndex:
    """Postings of folded words → {document number: weighted term frequency}."""

    def __init__(self, documents: Iterable[SearchDocument]) -> None:
        self.documents: list[SearchDocument] = list(documents)
        self.postings: dict[str, dict[int, int]] = {}
        self.lengths: list[int] = []
        for number, document in enumerate(self.documents):
            counts: Counter[str] = Counter()
            for word in tokens(document.headline):
                counts[word] += HEADLINE_WEIGHT
            counts.update(tokens(document.body))
            for word, count in counts.items():
                self.postings.setdefault(word, {})[number] = count
            self.lengths.append(sum(counts.values()))
        self.vocabulary = sorted(self.postings)
        self.average_length = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0

    def search(self, query: SearchQuery) -> list[Hit]:
        """Every matching document, best first (ties by key, for stable paging)."""
        groups = [[word] for word in query.words] + [self._expand(prefix) for prefix in query.prefixes]
        candidates = self._matching_all(groups)
        hits: list[Hit] = []
        for number in candidates:
            document = self.documents[number]
            if query.phrases and not self._has_phrases(document, query.phrases):
                continue
            score = sum(max(self._bm25(word, number) for word in group) for group in groups)
            score += self._headline_bonus(document, query)
            hits.append(Hit(document.key, score))
        hits.sort(key=lambda hit: (-hit.score, hit.key))
        return hits

    def _expand(self, prefix: str) -> list[str]:
        start = bisect_left(self.vocabulary, prefix)
        expanded: list[str] = []
        for word in self.vocabulary[start:]:
            if not word.startswith(prefix):
                break
            expanded.append(word)
        return expanded

    def _matching_all(self, groups: list[list[str]]) -> set[int]:
        sets: list[set[int]] = []
        for group in groups:
            matched: set[int] = set()
            for word in group:
                matched.update(self.postings.get(word, ()))
            sets.append(matched)
        sets.sort(key=len)
        result = sets[0] if sets else set()
        for other in sets[1:]:
            result = result & other
        return result

    def _bm25(self, word: str, number: int) -> float:
        posting = self.postings.get(word)
        if not posting or number not in posting:
            return 0.0
        frequency = posting[number]
        idf = math.log(1 + (len(self.documents) - len(posting) + 0.5) / (len(posting) + 0.5))
        norm = K1 * (1 - B + B * self.lengths[number] / self.average_length)
        return idf * frequency * (K1 + 1) / (frequency + norm)

    @staticmethod
    def _has_phrases(document: SearchDocument, phrases: Sequence[tuple[str, ...]]) -> bool:
        fields = (" " + " ".join(tokens(document.headline)) + " ", " " + " ".join(tokens(document.body)) + " ")
        return all(any(" " + " ".join(phrase) + " " in field for field in fields) for phrase in phrases)

    @staticmethod
    def _headline_bonus(document: SearchDocument, query: SearchQuery) -> float:
        if query.prefixes:
            return 0.0
        headline = tokens(document.headline)
        wanted_words = query.sequence or query.words
        if tuple(headline) == wanted_words:
            return EXACT_HEADLINE_BONUS
        joined, wanted = " " + " ".join(headline) + " ", " " + " ".join(wanted_words) + " "
        return HEADLINE_PHRASE_BONUS if wanted in joined else 0.0


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
