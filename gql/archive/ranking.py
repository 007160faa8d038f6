"""BM25 scoring and the ranking order (pure): the one definition every search path uses.

The exhaustive path (any query) and the impact-ordered path (one word) must give the
same floats to the last bit and the same order, so both call these functions.
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from itertools import compress, repeat

K1, B = 1.2, 0.75
EXACT_HEADLINE_BONUS = 1_000.0
HEADLINE_PHRASE_BONUS = 100.0


def idf(found: int, documents: int) -> float:
    """BM25's inverse document frequency of a word found in `found` of `documents` documents."""
    return math.log(1 + (documents - found + 0.5) / (found + 0.5))


def norms(lengths: Sequence[int]) -> array:
    """array('d'): BM25's length normalisation of each document, K1 folded in."""
    average = (sum(lengths) / len(lengths) if lengths else 0.0) or 1.0  # no word anywhere: every length is 0, any will do
    return array("d", [K1 * (1 - B + B * length / average) for length in lengths])


def term_weights(word_idf: float, numbers: Sequence[int], frequencies: Sequence[int], norm: Sequence[float]) -> array:
    """array('d') aligned with `numbers`: one word's BM25 term weight in each of its documents."""
    return array("d", [
        word_idf * frequency * (K1 + 1) / (frequency + norm[number])
        for number, frequency in zip(numbers, frequencies, strict=True)
    ])


def add_headline_bonus(scores: MutableMapping[int, float], held: Iterable[int], headlines: Iterable[str], wanted: str) -> None:
    """Add to `scores[key]`, for the keys whose headline holds the query as a phrase (`headlines` aligned with
    `held`, both as " folded words "), what the headline earns: equal to the query ranks first, holding it next.

    In bulk, without a Python call per key: it runs over every match of a query, or every posting of a word.
    """
    held = list(held)
    exact = list(compress(held, map(operator.eq, headlines, repeat(wanted))))
    exact_scores = list(map(operator.add, map(scores.__getitem__, exact), repeat(EXACT_HEADLINE_BONUS)))
    scores.update(zip(held, map(operator.add, map(scores.__getitem__, held), repeat(HEADLINE_PHRASE_BONUS)), strict=True))
    scores.update(zip(exact, exact_scores, strict=True))


def best_first(items: Iterable[int], score: Callable[[int], float], rank: Callable[[int], int]) -> list[int]:
    """`items` by score, highest first, equal scores by rank: as sorting by (-score, rank), without a tuple each."""
    ordered = sorted(items, key=rank)
    ordered.sort(key=score, reverse=True)  # stable, also reversed: equal scores stay in rank order
    return ordered
