"""Full-text search over headline, summary and source names (pure, in memory).

BM25 ranking over an inverted index of folded words; `"quoted phrases"` must occur
word for word, `prefix*` matches every word that starts so. A headline equal to the
query ranks first, then headlines holding it as a phrase. A query of one word reads its
ranking from the word's impact-ordered postings; any other query scores every match.

The work of one query is bounded: a query's prefixes may expand to at most
MAX_PREFIX_POSTINGS postings (word-in-document pairs) in all, or it is refused with
`SearchTooBroad`, before any is read; and the loops that merge postings, check
phrases and build snippets call the deadline check the API installs
(`set_deadline_check`: the query's time limit), so a query past its time limit stops
inside them, not after them.
"""

from __future__ import annotations

import operator
import re
import threading
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, compress, repeat

from newsgraph.archive.postings import HEADLINE_WEIGHT, Posting, TermScores, impact_order
from newsgraph.archive.ranking import add_headline_bonus, best_first, norms
from newsgraph.archive.text import ChunkTokens, tokens
from newsgraph.collector import collector_paused

RANKED_CACHE_MATCHES = 2_000_000  # matches kept across recent queries: this bounds the cache's memory
MAX_PREFIX_POSTINGS = 500_000  # postings all the prefixes of one query may expand to: bounds a short prefix's merge
DEADLINE_EVERY = 4096  # items between two deadline checks in a loop that handles items one by one
_QUERY_PART = re.compile(r'"([^"]*)"?|(\S+)')
_AFTER_EVERY_CHARACTER = chr(0x10FFFF)  # `prefix + this` sorts after every word that starts with the prefix

Deadline = Callable[[], None]  # raises when the running query is past its time limit


def _no_deadline() -> None:
    return None


_deadline_check: Deadline = _no_deadline


def set_deadline_check(check: Deadline | None) -> None:
    """Install the function the index's long loops call now and then: it raises to stop the query.

    The API installs its query deadline (`newsgraph.api.limits.check_deadline`, which reads the
    running operation's deadline from a context variable and does nothing outside a query); the
    archive stays pure, it only calls what it is given. None removes it.
    """
    global _deadline_check
    _deadline_check = check or _no_deadline


def deadline_check() -> Deadline:
    """The installed deadline check (a no-op when none is)."""
    return _deadline_check


class SearchQueryError(ValueError):
    """The search text cannot be searched: nothing to search for, or too broad a prefix (the client's to fix)."""


class SearchTooBroad(SearchQueryError):
    """The query's prefixes expand to more postings than MAX_PREFIX_POSTINGS."""


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

    @property
    def one_word(self) -> str | None:
        """The word, when the query is one word and nothing else (its ranking is then the word's impact order)."""
        if len(self.words) == 1 and not self.prefixes and not self.phrases and self.sequence in ((), self.words):
            return self.words[0]
        return None


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
    Each word's postings are also kept best first for that word searched alone (ordered
    as the build goes, word by word): the commonest query, one word, then costs its page,
    not its matches. Document numbers are the order of the documents given to the constructor.
    """

    def __init__(self, documents: Iterable[SearchDocument]) -> None:
        with collector_paused():  # millions of postings, nothing cyclic: a collection would only walk them
            self.documents: list[SearchDocument] = list(documents)
            words = ChunkTokens()
            raw = _Postings()  # word → [number, weighted frequency, number, ...], numbers ascending
            headlines: list[str] = []  # " folded headline words " per document: headline bonus and phrases
            bodies: list[str] = []  # " folded body words " per document: phrases
            lengths: list[int] = []
            consume = deque[object](maxlen=0).extend
            held = _Postings()  # word → numbers of the documents holding it in the headline: the bonus of impact order
            for number, document in enumerate(self.documents):
                headline = words.of(document.headline)
                headlines.append(" " + " ".join(headline) + " ")
                body = words.of(document.body)
                bodies.append(" " + " ".join(body) + " ")
                counted = headline * HEADLINE_WEIGHT + body  # a headline word counts as HEADLINE_WEIGHT
                lengths.append(len(counted))
                counts = Counter(counted)
                consume(map(list.extend, map(raw.__getitem__, counts), zip(repeat(number), counts.values())))
                consume(map(list.append, map(held.__getitem__, set(headline)), repeat(number)))
            del words
            self.norms = norms(lengths)
            self._headlines = headlines
            self._bodies = bodies
            self._postings: dict[str, Posting] = {}
            order = (len(self.documents), self.norms, headlines, self._key_rank)
            while raw:  # word by word, so the build never holds both forms of every posting
                word, entry = raw.popitem()
                numbers, frequencies = array("i", entry[0::2]), array("i", entry[1::2])
                del entry
                by_impact = impact_order(word, numbers, frequencies, held.pop(word, []), *order)
                self._postings[word] = Posting(numbers, frequencies, by_impact)
        self.vocabulary = sorted(self._postings)
        # postings of vocabulary[:i] for each i: a prefix's postings are a difference of two, found by bisection
        self._postings_before = array("q", accumulate((len(self._postings[word]) for word in self.vocabulary), initial=0))
        self._matches: OrderedDict[SearchQuery, Matches] = OrderedDict()
        self._cached_matches = 0
        self._matches_lock = threading.Lock()

    def matches(self, query: SearchQuery, deadline: Deadline | None = None) -> Matches:
        """Every match of `query` with its score, and (on first use) in ranking order; remembered for recent queries.

        One word alone: its postings are the matches, both orders and its scores on demand, at no cost.
        Any other query is scored whole and remembered: paging through it, or asking it again, then
        costs a lookup instead of scoring and sorting every match again (the index never changes,
        so neither do these). The cache holds at most RANKED_CACHE_MATCHES matches in all (the
        oldest query goes first). Raises SearchTooBroad for prefixes past MAX_PREFIX_POSTINGS;
        `deadline` (default: the installed check) is called inside the loops.
        """
        word = query.one_word
        if word is not None:
            posting = self._postings.get(word)
            if posting is None:
                return Matches({})
            scores = TermScores(word, posting, len(self.documents), self.norms, self._headlines)
            return Matches(scores, posting.numbers, posting.by_impact)
        return self._remembered(query, deadline)

    def _remembered(self, query: SearchQuery, deadline: Deadline | None) -> Matches:
        """The query scored whole (`_score`), remembered within RANKED_CACHE_MATCHES."""
        with self._matches_lock:
            found = self._matches.get(query)
            if found is not None:
                self._matches.move_to_end(query)
                return found
        found = Matches(self._score(query, deadline or _deadline_check))
        with self._matches_lock:
            if query in self._matches:  # another thread scored it meanwhile: keep one, count it once
                return self._matches[query]
            self._matches[query] = found
            self._cached_matches += len(found.scores)
            while self._cached_matches > RANKED_CACHE_MATCHES and len(self._matches) > 1:
                _, dropped = self._matches.popitem(last=False)
                self._cached_matches -= len(dropped.scores)
        return found

    def document_frequency(self, word: str) -> int:
        """How many documents hold a folded word."""
        posting = self._postings.get(word)
        return 0 if posting is None else len(posting)

    def term_weights(self, word: str) -> tuple[Sequence[int], Sequence[float]]:
        """A folded word's documents (numbers ascending) and its BM25 term weight in each, as a search for it
        adds them (without the headline bonus); empty when no document holds it. For scoring outside a query
        (newsgraph.archive.similar)."""
        posting = self._postings.get(word)
        if posting is None:
            return (), ()
        return posting.numbers, posting.weights(len(self.documents), self.norms)

    def best_first(self, matches: Matches) -> Sequence[int]:
        """The matches best first, ties by key: sorted on first use and kept with them."""
        if matches.best_first is None:
            matches.best_first = self.order(matches.scores, matches.scores)
        return matches.best_first

    def order(self, numbers: Iterable[int], scores: Mapping[int, float]) -> list[int]:
        """`numbers` (all in `scores`) best first, ties by key."""
        return best_first(numbers, scores.__getitem__, self._key_rank.__getitem__)

    def scores(self, query: SearchQuery, deadline: Deadline | None = None) -> dict[int, float]:
        """Document number → score of every matching document, unordered (`search` orders them); do not change it.

        Every match scored (for one word too: the exhaustive path, not its impact order), and
        remembered as `matches` remembers a query: a filter asked again, by each alias of a query
        or each event of a page, is scored once.
        """
        return self._remembered(query, deadline).scores  # type: ignore[return-value]  # `_score` made it: a dict

    def _score(self, query: SearchQuery, deadline: Deadline) -> dict[int, float]:
        """Document number → score of every matching document: the exhaustive path, for any query."""
        groups: list[_Group] = []  # one per word, then one per prefix: any of its words matches
        for word in query.words:
            posting = self._postings.get(word)
            if posting is None:
                return {}
            groups.append(_Group.of(posting, self))
        spans = [self._span(prefix) for prefix in query.prefixes]
        if any(start == end for start, end in spans):
            return {}
        self._check_breadth(query.prefixes, spans)
        for start, end in spans:
            deadline()
            expanded = [self._postings[word] for word in self.vocabulary[start:end]]
            groups.append(_Group.of(expanded[0], self) if len(expanded) == 1 else _Group.best_of(expanded, self, deadline))
        if not groups:
            return {}
        numbers = _matching_all(groups, deadline)
        if query.phrases and numbers:
            numbers = self._with_phrases(numbers, query.phrases, deadline)
        if len(groups) == 1 and len(numbers) == len(groups[0]):
            scores = groups[0].as_dict()
        else:  # a sum in the order of the groups, as BM25 adds its terms: the same floats to the last bit
            totals: Iterable[float] = groups[0].weights_of(numbers)  # 0 + the first term is the first term
            for group in groups[1:]:
                totals = map(operator.add, totals, group.weights_of(numbers))
            deadline()
            scores = dict(zip(numbers, totals, strict=True))
        if not query.prefixes and scores:
            wanted = " " + " ".join(query.sequence or query.words) + " "
            headlines = self._headlines
            held = list(compress(scores, map(operator.contains, map(headlines.__getitem__, scores), repeat(wanted))))
            add_headline_bonus(scores, held, map(headlines.__getitem__, held), wanted)
        return scores

    def _span(self, prefix: str) -> tuple[int, int]:
        """(start, end): `vocabulary[start:end]` are the index's words that start with `prefix`."""
        vocabulary = self.vocabulary
        start = bisect_left(vocabulary, prefix)
        return start, bisect_left(vocabulary, prefix + _AFTER_EVERY_CHARACTER, start)

    def _check_breadth(self, prefixes: Sequence[str], spans: Sequence[tuple[int, int]]) -> None:
        """Refuse prefixes that expand to more than MAX_PREFIX_POSTINGS postings in all, before reading any
        (counted in O(log words) each, so a refusal costs next to nothing however broad the prefix)."""
        before = self._postings_before
        sizes = [before[end] - before[start] for start, end in spans]
        total = sum(sizes)
        if total <= MAX_PREFIX_POSTINGS:
            return
        if max(sizes) > MAX_PREFIX_POSTINGS:
            broadest = max(range(len(sizes)), key=sizes.__getitem__)
            start, end = spans[broadest]
            raise SearchTooBroad(
                f"prefix too broad: `{prefixes[broadest]}*` matches {end - start:,} words, "
                f"found {sizes[broadest]:,} times in the archive; a search's prefixes may match at most "
                f"{MAX_PREFIX_POSTINGS:,} times: give more letters"
            )
        named = ", ".join(f"`{prefix}*`" for prefix in prefixes[:5]) + (", …" if len(prefixes) > 5 else "")
        raise SearchTooBroad(
            f"prefixes too broad: {named} are found {total:,} times in the archive in all; a search's prefixes "
            f"may match at most {MAX_PREFIX_POSTINGS:,} times: give more letters, or fewer prefixes"
        )

    def _with_phrases(self, numbers: list[int], phrases: Sequence[tuple[str, ...]], deadline: Deadline) -> list[int]:
        """Numbers of the documents holding every phrase word for word, in the headline or the body.

        Each text is kept as its folded words between single spaces, so a phrase is a substring
        search: its words one after the other, whatever spaces or punctuation stood between them.
        """
        wanted = [" " + " ".join(phrase) + " " for phrase in phrases]
        headlines, bodies = self._headlines, self._bodies
        kept: list[int] = []
        for start in range(0, len(numbers), DEADLINE_EVERY):
            deadline()
            for number in numbers[start:start + DEADLINE_EVERY]:
                headline, body = headlines[number], bodies[number]
                for joined in wanted:
                    if joined not in headline and joined not in body:
                        break
                else:
                    kept.append(number)
        return kept

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

    def __init__(
        self, scores: Mapping[int, float], ascending: Sequence[int] | None = None, best_first: Sequence[int] | None = None
    ) -> None:
        self.scores = scores
        self.best_first = best_first
        self._ascending = ascending

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def ascending(self) -> Sequence[int]:
        if self._ascending is None:  # two threads may both sort: the same list, either will do
            self._ascending = sorted(self.scores)  # keyed in ascending order already: a linear sort
        return self._ascending


class _Group:
    """The documents one query term matches, each with its term weight: a word, or a prefix's best word."""

    __slots__ = ("numbers", "weights", "_by_number")

    def __init__(self, numbers: Sequence[int], weights: Sequence[float], by_number: dict[int, float] | None = None) -> None:
        self.numbers, self.weights, self._by_number = numbers, weights, by_number

    @classmethod
    def of(cls, posting: Posting, index: SearchIndex) -> _Group:
        return cls(posting.numbers, posting.weights(len(index.documents), index.norms))

    @classmethod
    def best_of(cls, postings: list[Posting], index: SearchIndex, deadline: Deadline = _no_deadline) -> _Group:
        """Number → the highest weight any of the words gives it (as `max` over the words would)."""
        best: dict[int, float] = {}
        for posting in postings:
            deadline()
            for number, weight in zip(posting.numbers, posting.weights(len(index.documents), index.norms), strict=True):
                if weight > best.get(number, 0.0):
                    best[number] = weight
        numbers = sorted(best)
        return cls(numbers, list(map(best.__getitem__, numbers)), best)

    def __len__(self) -> int:
        return len(self.numbers)

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.numbers, self.weights, strict=True))  # numbers ascending: so are the keys

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
        by_number = self._by_number if self._by_number is not None else dict(zip(self.numbers, self.weights, strict=True))
        return map(by_number.__getitem__, numbers)


def _matching_all(groups: list[_Group], deadline: Deadline = _no_deadline) -> list[int]:
    """Numbers in every group, ascending: start from the smallest group."""
    by_size = sorted(groups, key=len)
    numbers = list(by_size[0].numbers)
    for group in by_size[1:]:
        if not numbers:
            break
        deadline()
        numbers = group.holds(numbers)
    return numbers
