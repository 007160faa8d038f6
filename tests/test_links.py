"""The same-day rule for links that are no archive path (gql/archive/links.py), against docs/format.md's rule as
tests/api_listings.resolve states it, on days small enough to be scanned and large enough to be indexed."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from newsgraph.archive.links import INDEX_FROM_EVENTS, resolve_misses
from tests.api_listings import resolve

WORDS = ["storm", "stormy", "river", "rivers", "city", "council", "vote", "votes", "fire", "in", "the", "of", "a"]


@pytest.mark.parametrize("events", [3, INDEX_FROM_EVENTS - 1, INDEX_FROM_EVENTS, 150])
def test_links_resolve_as_the_format_says_on_small_and_large_days(events: int) -> None:
    rng = random.Random(events)
    day = dt.date(2015, 9, 3)
    prefix = "/news/2015/09/3/"
    paths = sorted({prefix + "-".join(rng.choices(WORDS, k=rng.randint(1, 6))) + ".md" for _ in range(events)})
    documents = {path: {"date": day.isoformat()} for path in paths}
    links = set()
    for _ in range(400):  # slugs cut short, words dropped, a last word cut mid-way, unknown words
        words = rng.choice(paths)[len(prefix):-3].split("-")
        words = [word for word in words if rng.random() > 0.2] or words
        if rng.random() < 0.4:
            words[-1] = words[-1][: rng.randint(1, len(words[-1]))]
        if rng.random() < 0.2:
            words.append(rng.choice(["flood", "x", "st"]))
        links.add(prefix + "-".join(words) + ".md")
    links -= set(paths)
    links |= {"/news/2015/09/4/storm.md", "/news/2015/09/3/-.md"}  # another day; no words
    found = resolve_misses(links, {day: paths})
    assert found == {link: resolve(link, documents) for link in links}
    assert any(found.values()) and not all(found.values())  # both outcomes are exercised
