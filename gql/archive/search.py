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
import threading
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import compress, repeat

from gql.archive.text import ChunkTokens, fold, tokens, words_with_offsets

HEADLINE_WEIGHT = 3  # a word in the headline counts as this many in the body
K1, B = 1.2, 0.75
EXACT_HEADLINE_BONUS = 1_000.0
HEADLINE_PHRASE_BONUS = 100.0
SNIPPET_CHARS = 180
RANKED_CACHE_MATCHES = 2_000_000  # matches kept across recent queries (~250 MB at most)
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


class _Posting:
    """One word's documents, numbers ascending, with their weighted term frequencies and BM25 term weights."""

    __slots__ = ("numbers", "frequencies", "_weights")

    def __init__(self, numbers: array, frequencies: array) -> None:
        self.numbers = numbers  # array('i'), ascending
        self.frequencies = frequencies  # array('i'), aligned with numbers: headline words count HEADLINE_WEIGHT times
        self._weights: array | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    def weights(self, index: SearchIndex) -> array:
        """array('d') aligned with numbers: the BM25 term weights, computed on first use and kept."""
        weights = self._weights
        if weights is None:  # two threads may both compute it: the same floats, either copy will do
            found = len(self.numbers)
            idf = math.log(1 + (len(index.documents) - found + 0.5) / (found + 0.5))
            norms = index.norms
            weights = self._weights = array("d", [
                idf * frequency * (K1 + 1) / (frequency + norms[number])
                for number, frequency in zip(self.numbers, self.frequencies)
            ])
        return weights


class _Postings(dict[str, list[int]]):
    def __missing__(self, word: str) -> list[int]:
        entry: list[int] = []
        self[word] = entry
        return entry


class SearchIndex:
    """Postings of folded words → documents with their BM25 term weights.

    Immutable once built. Everything BM25 needs but the query (idf, term frequency,
    document length) depends on the word and the document only, so it is folded into one
    float per (word, document), the first time a query asks for the word: a query's score
    is then a sum of stored floats, added in the order the formula adds them.
    Document numbers are the order of the documents given to the constructor.
    """

    def __init__(self, documents: Iterable[SearchDocument]) -> None:
        self.documents: list[SearchDocument] = list(documents)
        words = ChunkTokens()
        raw = _Postings()  # word → [number, weighted frequency, number, ...], numbers ascending
        headlines: list[str] = []  # " folded headline words " per document: headline bonus and phrases
        lengths: list[int] = []
        consume = deque(maxlen=0).extend
        for number, document in enumerate(self.documents):
            headline = words.of(document.headline)
            headlines.append(" " + " ".join(headline) + " ")
            counted = headline * HEADLINE_WEIGHT + words.of(document.body)  # a headline word counts as HEADLINE_WEIGHT
            lengths.append(len(counted))
            counts = Counter(counted)
            consume(map(list.extend, map(raw.__getitem__, counts), zip(repeat(number), counts.values())))
        del words
        self.lengths = lengths
        self.average_length = (sum(lengths) / len(lengths)) if lengths else 1.0
        self.norms = array("d", [K1 * (1 - B + B * length / self.average_length) for length in lengths])
        self._headlines = headlines
        self._postings: dict[str, _Posting] = {}
        while raw:  # word by word, so the build never holds both forms of every posting
            word, entry = raw.popitem()
            self._postings[word] = _Posting(array("i", entry[0::2]), array("i", entry[1::2]))
        self.vocabulary = sorted(self._postings)
        self._matches: OrderedDict[SearchQuery, Matches] = OrderedDict()
        self._cached_matches = 0
        self._matches_lock = threading.Lock()

    def matches(self, query: SearchQuery) -> Matches:
        """Every match of `query` with its score, and (on first use) in ranking order; remembered for recent queries.

        Paging through a search, or a popular search asked again, then costs a lookup instead of
        scoring and sorting every match again: the index never changes, so neither do these.
        The cache holds at most RANKED_CACHE_MATCHES matches in all (the oldest query goes first).
        """
        with self._matches_lock:
            found = self._matches.get(query)
            if found is not None:
                self._matches.move_to_end(query)
                return found
        found = Matches(self.scores(query))
        with self._matches_lock:
            if query in self._matches:  # another thread scored it meanwhile: keep one, count it once
                return self._matches[query]
            self._matches[query] = found
            self._cached_matches += len(found.scores)
            while self._cached_matches > RANKED_CACHE_MATCHES and len(self._matches) > 1:
                _, dropped = self._matches.popitem(last=False)
                self._cached_matches -= len(dropped.scores)
        return found

    def best_first(self, matches: Matches) -> list[int]:
        """The matches best first, ties by key: sorted on first use and kept with them."""
        if matches.best_first is None:
            matches.best_first = self.order(matches.scores, matches.scores)
        return matches.best_first

    def order(self, numbers: Iterable[int], scores: dict[int, float]) -> list[int]:
        """`numbers` (all in `scores`) best first, ties by key: as sorting by (-score, key), without a tuple each."""
        ordered = sorted(numbers, key=self._key_rank.__getitem__)
        ordered.sort(key=scores.__getitem__, reverse=True)  # stable, also reversed: equal scores stay in key order
        return ordered

    def scores(self, query: SearchQuery) -> dict[int, float]:
        """Document number → score of every matching document, unordered (`search` orders them)."""
        groups: list[_Group] = []  # one per word, then one per prefix: any of its words matches
        for word in query.words:
            posting = self._postings.get(word)
            if posting is None:
                return {}
            groups.append(_Group.of(posting, self))
        for prefix in query.prefixes:
            expanded = [self._postings[word] for word in self._expand(prefix)]
            if not expanded:
                return {}
            groups.append(_Group.of(expanded[0], self) if len(expanded) == 1 else _Group.best_of(expanded, self))
        if not groups:
            return {}
        numbers = _matching_all(groups)
        if query.phrases and numbers:
            numbers = self._with_phrases(numbers, query.phrases)
        if len(groups) == 1 and len(numbers) == len(groups[0]):
            scores = groups[0].as_dict()
        else:  # a sum in the order of the groups, as BM25 adds its terms: the same floats to the last bit
            totals: Iterable[float] = groups[0].weights_of(numbers)  # 0 + the first term is the first term
            for group in groups[1:]:
                totals = map(operator.add, totals, group.weights_of(numbers))
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
        headlines = self._headlines
        numbers = list(scores)
        phrase = list(compress(numbers, map(operator.contains, map(headlines.__getitem__, numbers), repeat(wanted))))
        exact = list(compress(phrase, map(operator.eq, map(headlines.__getitem__, phrase), repeat(wanted))))
        exact_scores = [scores[number] + EXACT_HEADLINE_BONUS for number in exact]
        scores.update(zip(phrase, map(operator.add, map(scores.__getitem__, phrase), repeat(HEADLINE_PHRASE_BONUS))))
        scores.update(zip(exact, exact_scores))

    @cached_property
    def _keys(self) -> list[str]:
        return [document.key for document in self.documents]

    @cached_property
    def _key_rank(self) -> list[int]:
        """Document number → place of its key in key order: ties in score go by key."""
        rank = [0] * len(self.documents)
        for place, number in enumerate(sorted(range(len(self.documents)), key=self._keys.__getitem__)):
            rank[number] = place
        return rank


class Matches:
    """The documents one query matches: number → score, and the numbers in either order (sorted on first use).

    No reference back to the index (`SearchIndex.best_first` fills `best_first`), so a replaced
    archive's index and its remembered matches are freed at once, not at the next cycle collection.
    """

    def __init__(self, scores: dict[int, float]) -> None:
        self.scores = scores
        self.best_first: list[int] | None = None

    @cached_property
    def ascending(self) -> list[int]:
        return sorted(self.scores)  # keyed in ascending order already: a linear sort


class _Group:
    """The documents one query term matches, each with its term weight: a word, or a prefix's best word."""

    __slots__ = ("numbers", "weights", "_by_number")

    def __init__(self, numbers: Sequence[int], weights: Sequence[float], by_number: dict[int, float] | None = None) -> None:
        self.numbers, self.weights, self._by_number = numbers, weights, by_number

    @classmethod
    def of(cls, posting: _Posting, index: SearchIndex) -> _Group:
        return cls(posting.numbers, posting.weights(index))

    @classmethod
    def best_of(cls, postings: list[_Posting], index: SearchIndex) -> _Group:
        """Number → the highest weight any of the words gives it (as `max` over the words would)."""
        best: dict[int, float] = {}
        for posting in postings:
            for number, weight in zip(posting.numbers, posting.weights(index)):
                if weight > best.get(number, 0.0):
                    best[number] = weight
        numbers = sorted(best)
        return cls(numbers, list(map(best.__getitem__, numbers)), best)

    def __len__(self) -> int:
        return len(self.numbers)

    def as_dict(self) -> dict[int, float]:
        return dict(self._by_number) if self._by_number is not None else dict(zip(self.numbers, self.weights))

    def _sparse(self, wanted: int) -> bool:
        """Whether looking `wanted` numbers up by bisection beats reading the whole group into a dict."""
        return self._by_number is None and len(self.numbers) > 8 * wanted

    def holds(self, numbers: list[int]) -> list[int]:
        if self._sparse(len(numbers)):
            found, at = self.numbers, bisect_left
            size = len(found)
            return [number for number in numbers if (i := at(found, number)) < size and found[i] == number]
        present = self._by_number if self._by_number is not None else set(self.numbers)
        return [number for number in numbers if number in present]

    def weights_of(self, numbers: list[int]) -> Iterable[float]:
        """The weights of `numbers`, all of them in the group."""
        if self._sparse(len(numbers)):
            found, weights = self.numbers, self.weights
            return (weights[bisect_left(found, number)] for number in numbers)
        by_number = self._by_number if self._by_number is not None else dict(zip(self.numbers, self.weights))
        return map(by_number.__getitem__, numbers)


def _matching_all(groups: list[_Group]) -> list[int]:
    """Numbers in every group, ascending: start from the smallest group."""
    by_size = sorted(groups, key=len)
    numbers = list(by_size[0].numbers)
    for group in by_size[1:]:
        if not numbers:
            break
        numbers = group.holds(numbers)
    return numbers


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
