"""Full-text search over headline, summary and source names (pure, in memory).

BM25 ranking over an inverted index of folded words; `"quoted phrases"` must occur
word for word, `prefix*` matches every word that starts so. A headline equal to the
query ranks first, then headlines holding it as a phrase.
"""

from __future__ import annotations

import html
import math
import operator
import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from gql.archive.text import fold, tokens, words_with_offsets

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


class _Posting:
    """One word's documents: numbers ascending, each with its BM25 term weight; those with the word in the headline."""

    __slots__ = ("numbers", "weights", "in_headline")

    def __init__(self, numbers: array, weights: array, in_headline: array) -> None:
        self.numbers = numbers  # array('i'), ascending
        self.weights = weights  # array('d'), aligned with numbers
        self.in_headline = in_headline  # array('i'), ascending: the numbers whose headline holds the word

    def __len__(self) -> int:
        return len(self.numbers)

    def weight_of(self, number: int) -> float | None:
        at = bisect_left(self.numbers, number)
        return self.weights[at] if at < len(self.numbers) and self.numbers[at] == number else None


class SearchIndex:
    """Postings of folded words → documents with their BM25 term weights.

    Immutable once built, so everything BM25 needs but the query (idf, term frequency,
    document length) is folded into one float per (word, document) at build time: a
    query's score is a sum of stored floats, in the order the formula adds them.
    Document numbers are the order of the documents given to the constructor.
    """

    def __init__(self, documents: Iterable[SearchDocument]) -> None:
        self.documents: list[SearchDocument] = list(documents)
        raw: dict[str, list[int]] = {}  # word → [number, weighted frequency, number, ...]
        in_headline: dict[str, list[int]] = {}
        headlines: list[str] = []  # " folded headline words " per document: headline bonus and phrases
        lengths: list[int] = []
        for number, document in enumerate(self.documents):
            headline = tokens(document.headline)
            body = tokens(document.body)
            headlines.append(" " + " ".join(headline) + " ")
            counts = Counter(body)
            for word, count in Counter(headline).items():
                counts[word] += HEADLINE_WEIGHT * count
                found = in_headline.get(word)
                if found is None:
                    in_headline[word] = [number]
                else:
                    found.append(number)
            for word, count in counts.items():
                entry = raw.get(word)
                if entry is None:
                    raw[word] = [number, count]
                else:
                    entry += (number, count)
            lengths.append(HEADLINE_WEIGHT * len(headline) + len(body))
        self.lengths = lengths
        self.average_length = (sum(lengths) / len(lengths)) if lengths else 1.0
        self._headlines = headlines
        self._postings: dict[str, _Posting] = {}
        total = len(self.documents)
        norms = [K1 * (1 - B + B * length / self.average_length) for length in lengths]
        for word, entry in raw.items():
            numbers, frequencies = entry[0::2], entry[1::2]
            found = len(numbers)
            idf = math.log(1 + (total - found + 0.5) / (found + 0.5))
            weights = array("d", [
                idf * frequency * (K1 + 1) / (frequency + norms[number])
                for number, frequency in zip(numbers, frequencies)
            ])
            self._postings[word] = _Posting(array("i", numbers), weights, array("i", in_headline.get(word, ())))
        self.vocabulary = sorted(self._postings)

    def search(self, query: SearchQuery) -> list[Hit]:
        """Every matching document, best first (ties by key, for stable paging)."""
        scores = self.scores(query)
        order = sorted(scores, key=self._key_rank.__getitem__)
        order.sort(key=scores.__getitem__, reverse=True)  # stable: equal scores stay in key order
        documents = self.documents
        return [Hit(documents[number].key, scores[number]) for number in order]

    def scores(self, query: SearchQuery) -> dict[int, float]:
        """Document number → score of every matching document, unordered (`search` orders them)."""
        groups: list[_Posting | dict[int, float]] = []  # one per word, then one per prefix: any of it matches
        for word in query.words:
            posting = self._postings.get(word)
            if posting is None:
                return {}
            groups.append(posting)
        for prefix in query.prefixes:
            expanded = [self._postings[word] for word in self._expand(prefix)]
            if not expanded:
                return {}
            groups.append(expanded[0] if len(expanded) == 1 else _best_of(expanded))
        if not groups:
            return {}
        numbers = self._matching_all(groups)
        if query.phrases and numbers:
            numbers = self._with_phrases(numbers, query.phrases)
        if len(groups) == 1:
            group = groups[0]
            if isinstance(group, dict):
                scores = group if len(numbers) == len(group) else {number: group[number] for number in numbers}
            elif len(numbers) == len(group):
                scores = dict(zip(group.numbers, group.weights))
            else:
                scores = {number: group.weight_of(number) for number in numbers}  # type: ignore[misc]
        else:  # a sum in the order of the groups, as BM25 adds its terms: the same floats to the last bit
            totals = _weights(groups[0], numbers)  # 0 + the first term is the first term
            for group in groups[1:]:
                totals = map(operator.add, totals, _weights(group, numbers))
            scores = dict(zip(numbers, totals))
        if not query.prefixes and scores:
            self._add_headline_bonus(scores, query.sequence or query.words)
        return scores

    def _expand(self, prefix: str) -> list[str]:
        start = bisect_left(self.vocabulary, prefix)
        expanded: list[str] = []
        for word in self.vocabulary[start:]:
            if not word.startswith(prefix):
                break
            expanded.append(word)
        return expanded

    @staticmethod
    def _matching_all(groups: list[_Posting | dict[int, float]]) -> list[int]:
        """Numbers in every group, smallest group first; ascending."""
        by_size = sorted(groups, key=len)
        smallest = by_size[0]
        numbers = list(smallest) if isinstance(smallest, dict) else list(smallest.numbers)
        for group in by_size[1:]:
            if not numbers:
                break
            if isinstance(group, dict):
                numbers = [number for number in numbers if number in group]
            elif len(group) > 8 * len(numbers):  # a few lookups by bisection beat reading the whole posting
                numbers = [number for number in numbers if group.weight_of(number) is not None]
            else:
                present = set(group.numbers)
                numbers = [number for number in numbers if number in present]
        numbers.sort()
        return numbers

    def _with_phrases(self, numbers: list[int], phrases: Sequence[tuple[str, ...]]) -> list[int]:
        """Numbers of the documents holding every phrase word for word, in the headline or the body."""
        wanted = [
            (" " + " ".join(phrase) + " ", re.compile(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, phrase)) + r"(?![^\W_])"))
            for phrase in phrases
        ]
        headlines, documents = self._headlines, self.documents
        kept: list[int] = []
        for number in numbers:
            headline, body = headlines[number], None
            for joined, pattern in wanted:
                if joined in headline:
                    continue
                if body is None:
                    body = fold(documents[number].body)
                if not pattern.search(body):
                    break
            else:
                kept.append(number)
        return kept

    def _add_headline_bonus(self, scores: dict[int, float], wanted_words: tuple[str, ...]) -> None:
        """A headline equal to the query ranks first, then headlines holding it as a phrase."""
        wanted = " " + " ".join(wanted_words) + " "
        postings = [self._postings.get(word) for word in set(wanted_words)]
        if not postings or None in postings:
            return
        headlines = self._headlines
        for number in min((posting.in_headline for posting in postings), key=len):  # type: ignore[union-attr]
            if number in scores:
                headline = headlines[number]
                if headline == wanted:
                    scores[number] += EXACT_HEADLINE_BONUS
                elif wanted in headline:
                    scores[number] += HEADLINE_PHRASE_BONUS

    @cached_property
    def _key_rank(self) -> list[int]:
        """Document number → place of its key in key order: ties in score go by key."""
        rank = [0] * len(self.documents)
        for place, number in enumerate(sorted(range(len(self.documents)), key=lambda n: self.documents[n].key)):
            rank[number] = place
        return rank


def _best_of(postings: list[_Posting]) -> dict[int, float]:
    """Number → the highest weight any of the postings gives it (a prefix matches its best word)."""
    best: dict[int, float] = {}
    for posting in postings:
        for number, weight in zip(posting.numbers, posting.weights):
            if weight > best.get(number, 0.0):
                best[number] = weight
    return best


def _weights(group: _Posting | dict[int, float], numbers: list[int]) -> Iterable[float]:
    if isinstance(group, dict):
        return map(group.__getitem__, numbers)
    if len(group) > 8 * len(numbers):
        return map(group.weight_of, numbers)  # type: ignore[arg-type]
    weights = dict(zip(group.numbers, group.weights))
    return map(weights.__getitem__, numbers)


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
