"""Similar events (pure): "more like this" by text and by tags.

For one event:

1. Its distinctive terms: the folded words of its headline and summary, each weighted by
   tf × idf, where tf counts a headline word HEADLINE_WEIGHT times (as the search index
   does) and idf is BM25's over the whole archive. Words found in more than COMMON_SHARE of
   the archive's events, or in more than MAX_TERM_EVENTS events, are not distinctive and are
   left out; the MAX_QUERY_TERMS heaviest words are kept (ties by word).
2. Text score of another event: the sum of the search index's BM25 term weights of those
   terms in it (its postings, as `search` scores a query of those words, without requiring
   all of them), divided by the same sum for the event itself and capped at 1: in [0, 1].
3. Tag score: the Jaccard index of the two events' tags (shared ÷ either's), in [0, 1].
4. score = text + TAG_WEIGHT × tags, so in [0, 1.5]. Candidates are the events holding at
   least one of the terms or sharing at least one tag carried by at most MAX_TAG_EVENTS events
   (a larger tag nominates none, but still counts in the Jaccard of the candidates found
   otherwise), without the event itself and the events its own related links point at
   (already shown with it). Best first, equal scores by path.

The work is that of the terms' postings and the nominating tags' event lists, read from the
archive's indexes, plus a look at each candidate's own tags when the event has a larger tag:
at most MAX_QUERY_TERMS × MAX_TERM_EVENTS + tags × MAX_TAG_EVENTS candidates, whatever the
archive's size, and never a scan of the archive. Each event's ranking (its best MAX_SIMILAR hits) is
kept per archive (an LRU of SIMILAR_CACHE_ENTRIES).
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass
from itertools import repeat

from newsgraph.archive.archive import Archive
from newsgraph.archive.memo import PerArchive
from newsgraph.archive.postings import HEADLINE_WEIGHT
from newsgraph.archive.ranking import idf
from newsgraph.archive.text import tokens

MAX_QUERY_TERMS = 15  # the event's distinctive words that are looked for
COMMON_SHARE = 0.5  # a word in more than this share of the events is not distinctive
MAX_TERM_EVENTS = 1_000  # nor is a word in more than this many events: the work per call is bounded
MAX_TAG_EVENTS = 1_000  # a tag of more events nominates no candidate (it still counts in their Jaccard)
TAG_WEIGHT = 0.5  # what the tags' Jaccard index counts for beside the text score
MAX_SIMILAR = 100  # hits one ranking holds at most: the candidates `Event.similar` pages, filters and orders
SIMILAR_CACHE_ENTRIES = 1_024  # rankings kept per archive


@dataclass(frozen=True)
class SimilarHit:
    """One similar event: its archive position, its score and the tags it shares (keys, in key order)."""

    position: int
    score: float
    text: float  # the text part, in [0, 1]
    shared_tags: tuple[str, ...]


def query_terms(archive: Archive, path: str) -> list[tuple[str, float]]:
    """The event's distinctive words with their tf × idf weights, heaviest first (ties by word)."""
    event = archive.events[path]
    counts = Counter(tokens(event.headline) * HEADLINE_WEIGHT + tokens(event.summary))
    index = archive.search_index
    documents = len(index.documents)
    weighted: list[tuple[str, float]] = []
    for word, frequency in counts.items():
        found = index.document_frequency(word)
        if 0 < found and found <= documents * COMMON_SHARE and found <= MAX_TERM_EVENTS:
            weighted.append((word, frequency * idf(found, documents)))
    weighted.sort(key=lambda item: (-item[1], item[0]))
    return weighted[:MAX_QUERY_TERMS]


def similar_events(archive: Archive, path: str, first: int = 10) -> list[SimilarHit]:
    """The `first` (at most MAX_SIMILAR) events most like the one at `path`, best first; [] when there is none."""
    if path not in archive.events or first <= 0:
        return []
    ranking = _rankings.get(archive, path, lambda: rank_similar(archive, path, MAX_SIMILAR))
    return list(ranking[:first])


def rank_similar(archive: Archive, path: str, first: int) -> tuple[SimilarHit, ...]:
    """The ranking itself, uncached (see the module's docstring).

    Scores are summed in bulk (a dict update per term, a comprehension per candidate list) and
    only the hits kept are made into objects: the terms may bring thousands of candidates. The work
    is bounded whatever the archive's size: each term's posting holds at most MAX_TERM_EVENTS events and
    each nominating tag at most MAX_TAG_EVENTS; a larger tag is only looked up in the candidates' tags.
    """
    index = archive.search_index
    own = archive.rank[path]
    text: dict[int, float] = {}
    for word, _weight in query_terms(archive, path):
        numbers, weights = index.term_weights(word)
        sums = list(map(operator.add, map(text.get, numbers, repeat(0.0)), weights))  # in term order, as search adds
        text.update(zip(numbers, sums, strict=True))
    itself = text.get(own, 0.0)
    scores = {number: min(1.0, value / itself) for number, value in text.items()} if itself else {}
    text_scores = dict(scores)
    own_tags = archive.event_tags.get(path, ())
    shared: Counter[int] = Counter()
    broad: set[str] = set()  # the event's tags too large to nominate: counted in the candidates' own tags
    for key in own_tags:
        positions = archive.tag_key_positions(key)
        if len(positions) <= MAX_TAG_EVENTS:
            shared.update(positions)
        else:
            broad.add(key)
    ascending, event_tags = archive.ascending, archive.event_tags
    if broad:
        for number in set(text).union(shared):
            tags = event_tags.get(ascending[number], ())
            if not broad.isdisjoint(tags):
                shared[number] += sum(key in broad for key in tags)
    for number, common in shared.items():
        jaccard = common / (len(own_tags) + len(event_tags[ascending[number]]) - common)
        scores[number] = scores.get(number, 0.0) + TAG_WEIGHT * jaccard
    scores.pop(own, None)
    for target in archive.resolved[path]:
        if target is not None:
            scores.pop(archive.rank[target], None)
    mine = set(own_tags)
    return tuple(
        SimilarHit(
            number,
            scores[number],
            text_scores.get(number, 0.0),
            tuple(key for key in event_tags[ascending[number]] if key in mine) if number in shared else (),
        )
        for number in index.order(scores, scores)[:first]  # best first, equal scores by path
    )


_rankings: PerArchive[str, tuple[SimilarHit, ...]] = PerArchive(SIMILAR_CACHE_ENTRIES)
