"""One word's postings, in document order and in impact order (pure).

Document order serves queries of several terms (intersections, sums). Impact order is
the ranking of the word searched alone, fixed when the index is built: a one-word
search then reads its best hits as a prefix and its total as the length, whatever the
number of events holding the word.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence

from newsgraph.archive.ranking import add_headline_bonus, best_first, idf, term_weights

HEADLINE_WEIGHT = 3  # a word in the headline counts as this many in the body


class Posting:
    """One word's documents, numbers ascending with their weighted term frequencies, and the numbers best first."""

    __slots__ = ("numbers", "frequencies", "by_impact", "_weights")

    def __init__(self, numbers: array, frequencies: array, by_impact: array) -> None:
        self.numbers = numbers  # array('i'), ascending
        self.frequencies = frequencies  # array('i'), aligned with numbers: headline words count HEADLINE_WEIGHT times
        self.by_impact = by_impact  # array('i'): numbers as a query of this word alone ranks them
        self._weights: array | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    def weights(self, documents: int, norm: Sequence[float]) -> array:
        """array('d') aligned with numbers: the BM25 term weights, computed on first use and kept."""
        weights = self._weights
        if weights is None:  # two threads may both compute it: the same floats, either copy will do
            weights = self._weights = term_weights(idf(len(self.numbers), documents), self.numbers, self.frequencies, norm)
        return weights


def impact_order(
    word: str, numbers: array, frequencies: array, in_headline: list[int], documents: int, norm: Sequence[float],
    headlines: Sequence[str], rank: Sequence[int],
) -> array:
    """array('i'): `numbers` best first for the query of `word` alone, ties by key rank, as the exhaustive path orders them.

    `in_headline`: the numbers (ascending) of the documents whose headline holds the word, the only ones with a bonus.
    """
    weights = term_weights(idf(len(numbers), documents), numbers, frequencies, norm)
    scores = dict(zip(numbers, weights, strict=True))
    add_headline_bonus(scores, in_headline, map(headlines.__getitem__, in_headline), " " + word + " ")
    return array("i", best_first(numbers, scores.__getitem__, rank.__getitem__))


class TermScores(Mapping[int, float]):
    """Document number → score for the query of one word alone, computed for the documents asked about.

    A page shows a handful of hits (and paging bisects over a few more): scoring every
    document that holds the word, as a dict would need, is the cost impact order avoids.
    """

    def __init__(self, word: str, posting: Posting, documents: int, norm: Sequence[float], headlines: Sequence[str]) -> None:
        self._posting, self._norm, self._headlines = posting, norm, headlines
        self._idf = idf(len(posting), documents)
        self._wanted = " " + word + " "

    def __getitem__(self, number: int) -> float:
        numbers = self._posting.numbers
        at = bisect_left(numbers, number)
        if at == len(numbers) or numbers[at] != number:
            raise KeyError(number)
        score = {number: term_weights(self._idf, (number,), (self._posting.frequencies[at],), self._norm)[0]}
        headline = self._headlines[number]
        if self._wanted in headline:
            add_headline_bonus(score, (number,), (headline,), self._wanted)
        return score[number]

    def __len__(self) -> int:
        return len(self._posting)

    def __iter__(self) -> Iterator[int]:
        return iter(self._posting.numbers)
