"""Impact-ordered postings: a one-word search read from them answers exactly as scoring every match does."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsgraph.archive.search import SearchDocument, SearchIndex, parse_query
from newsgraph.archive.text import tokens
from tests.api_listings import Listing, page_through
from tests.drivers import ApiClient

WORDS = ["storm", "river", "Río", "rio", "city", "flood", "ÉTÉ", "ete", "x"]  # folded pairs: rio, ete

texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join)
archives = st.lists(st.tuples(st.text("abcde", min_size=1, max_size=3), texts, texts), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(archives)
def test_a_word_alone_ranks_and_counts_as_the_exhaustive_path(rows: list[tuple[str, str, str]]) -> None:
    # keys repeat and run against document order, headlines are often one word: every tie-break is exercised
    index = SearchIndex(SearchDocument(f"/news/{key}", headline, body) for key, headline, body in rows)
    for word in {*map(str.casefold, WORDS), "absent"}:
        query = parse_query(word)
        fast = index.matches(query)
        scores = index.scores(query)  # the exhaustive path: every match scored
        assert len(fast) == len(scores)
        assert dict(fast.scores) == scores  # the same floats to the last bit
        assert list(fast.ascending) == sorted(scores)
        assert list(index.best_first(fast)) == index.order(scores, scores)


def test_term_scores_hold_only_the_words_documents() -> None:
    index = SearchIndex(SearchDocument(f"/news/{n}", "storm" if n % 2 else "calm", "") for n in range(10))
    scores = index.matches(parse_query("storm")).scores
    assert 3 in scores and 4 not in scores and list(scores) == [1, 3, 5, 7, 9]
    with pytest.raises(KeyError):
        scores[4]


def test_only_a_single_plain_word_takes_the_impact_order() -> None:
    one = [parse_query(text).one_word for text in ("storm", '"Storm"', "STORM.")]
    others = [parse_query(text).one_word for text in ("storm storm", "storm river", "storm*", '"storm river"')]
    assert one == ["storm"] * 3 and others == [None] * 4


# -- over HTTP, on the bundled archive ---------------------------------------------------------
def _walk(api: ApiClient, text: str, size: int, backward: bool = False, **arguments: Any) -> tuple[int, list[dict]]:
    listing = Listing(f"search {text!r}", "search", fixed=f'text: "{text}"', node="path", edge_extra="score")
    walk = page_through(api, listing, size, backward=backward, **arguments)
    return walk.total_count, walk.edges


def _common_words(documents: dict[str, dict[str, Any]], count: int) -> list[str]:
    seen: Counter[str] = Counter()
    for document in documents.values():
        seen.update(set(tokens(document["headline"] + " " + document["summary"])))
    return [word for word, found in seen.most_common(count * 3)][::3]


@pytest.mark.parametrize("order", ["RELEVANCE", "DATE_DESC"])
def test_one_word_pages_equal_the_exhaustive_path_with_and_without_dates(api: ApiClient, documents, order: str) -> None:
    # filter.text makes the search narrow by a second selection, which scores every match: the exhaustive path
    for word in _common_words(documents, 12):
        for dates in ({}, {"dateFrom": "2015-09-05", "dateTo": "2015-09-20"}):
            for size, backward in ((7, False), (5, True)):
                fast = _walk(api, word, size, backward, orderBy=order, filter=dates or None)
                exhaustive = _walk(api, word, size, backward, orderBy=order, filter={**dates, "text": word})
                assert fast == exhaustive and fast[0] > 0, (word, dates, size, backward)
