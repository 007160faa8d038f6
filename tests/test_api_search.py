"""`search(text:)` over HTTP: ranking, folding, phrases, prefixes, snippets and bad queries."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from newsgraph.load import load_texts
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.api_listings import Listing, event_markdown, fetch_error, fetch_page, fold, page_through, searchable_words
from tests.drivers import ApiClient

HIT = "score snippetHtml"


def searching(text: str) -> Listing:
    return Listing(f"search {text!r}", "search", fixed=f"text: {json.dumps(text)}", node="path headline", edge_extra=HIT)


def search_all(api: ApiClient, text: str, **arguments: Any) -> list[str]:
    """Paths of every hit, in the order given."""
    return page_through(api, searching(text), 100, **arguments).keys()


def app_with(store: EventStore, *events: tuple[dt.date, str, str] | tuple[dt.date, str, str, list]) -> ApiClient:
    """An app over a fresh store holding the given (day, headline, summary[, sources]) events."""
    texts = [(f"e{n}.md", event_markdown(e[0], e[1], e[2], *e[3:])) for n, e in enumerate(events)]
    report = load_texts(store, texts)
    assert report.rejected == 0, [str(p) for p in report.problems]
    return ApiClient(create_app(store, ServerSettings(reload_interval=0)))


# -- ranking --------------------------------------------------------------------------------
def test_every_bundled_headline_finds_its_own_event_first(api: ApiClient, documents) -> None:
    paths = sorted(documents)
    for start in range(0, len(paths), 40):  # 40 searches a request, as aliases
        batch = paths[start:start + 40]
        fields = " ".join(
            f"h{n}: search(text: {json.dumps(documents[path]['headline'])}, first: 1) {{ edges {{ node {{ path }} }} }}"
            for n, path in enumerate(batch)
        )
        data = api.data(f"{{ {fields} }}")
        for n, path in enumerate(batch):
            assert data[f"h{n}"]["edges"][0]["node"]["path"] == path, documents[path]["headline"]


def test_an_exact_headline_beats_longer_headlines_that_repeat_its_words(store: EventStore) -> None:
    day = dt.date(2015, 9, 1)
    api = app_with(
        store,
        (day, "The end of the war", ""),
        (day, "The end of the war: the end of the war, the end of the war", ""),
        (day, "War: the end of the end of the war", "The end of the war, the end of the war."),
    )
    assert fetch_page(api, searching("The end of the war"), first=1)["edges"][0]["node"]["headline"] == "The end of the war"
    assert fetch_page(api, searching("the END of the WAR!"), first=1)["edges"][0]["node"]["headline"] == "The end of the war"


def test_bm25_prefers_a_headline_match_and_a_short_text(store: EventStore) -> None:
    day = dt.date(2015, 9, 2)
    filler = " ".join(["Officials met again to talk about the budget and other matters."] * 6)
    api = app_with(
        store,
        (day, "Flooding hits Zanzibar", "Roads are closed."),
        (day, "Storm season begins", "Heavy rain reaches Zanzibar."),
        (day, "Parliament sits late", filler + " Zanzibar was mentioned once."),
        (day, "Markets are calm", "Nothing about islands here."),
    )
    hits = fetch_page(api, searching("zanzibar"), first=10)["edges"]
    assert [hit["node"]["headline"] for hit in hits] == [
        "Flooding hits Zanzibar", "Storm season begins", "Parliament sits late"]
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def test_every_word_must_match(api: ApiClient, documents) -> None:
    found = set(search_all(api, "killed police"))
    expected = {p for p, d in documents.items() if {"killed", "police"} <= searchable_words(d)}
    assert found == expected and found


@pytest.mark.parametrize("word", ["syria", "Reuters", "refugees", "Migrant", "the", "2015", "Pope"])
def test_single_words_find_exactly_the_events_holding_them(api: ApiClient, documents, word: str) -> None:
    found = search_all(api, word)
    assert len(found) == len(set(found))
    assert set(found) == {p for p, d in documents.items() if fold(word) in searchable_words(d)}


# -- folding ----------------------------------------------------------------------------------
def test_search_ignores_case_and_accents(api: ApiClient, documents) -> None:
    spellings = ["perez", "PEREZ", "Pérez", "pÉrEz", "PÉREZ"]
    results = [set(search_all(api, text)) for text in spellings]
    assert all(found == results[0] for found in results)
    holding = {p for p, d in documents.items() if "Pérez" in d["headline"] + d["summary"]}
    assert holding and results[0] == holding


@pytest.mark.parametrize(("typed", "written"), [("munchen", "München"), ("igdir", "Iğdır"), ("diyarbakir", "Diyarbakır"),
                                                  ("orban", "Orbán"), ("francois", "François")])
def test_letters_without_marks_find_marked_ones(api: ApiClient, documents, typed: str, written: str) -> None:
    texts = {p: documents[p]["headline"] + " " + documents[p]["summary"] for p in search_all(api, typed)}
    assert any(written in text for text in texts.values()), typed
    assert all(written in text or typed in text.lower() for text in texts.values())


# -- phrases and prefixes -------------------------------------------------------------------
def _tokens(text: str) -> str:
    return " " + " ".join(re.findall(r"[^\W_]+", fold(text))) + " "


def _holds_phrase(document: dict[str, Any], phrase: str) -> bool:
    wanted = _tokens(phrase)
    texts = [document["headline"], document["summary"], *(s["name"] for s in document["sources"])]
    return any(wanted in _tokens(text) for text in texts)


@pytest.mark.parametrize("words", ["prime minister", "islamic state", "european union", "otto pérez"])
def test_a_quoted_phrase_needs_the_words_together_and_in_order(api: ApiClient, documents, words: str) -> None:
    phrase = set(search_all(api, f'"{words}"'))
    loose = set(search_all(api, words))
    reversed_phrase = set(search_all(api, '"' + " ".join(reversed(words.split())) + '"'))
    assert phrase == {p for p, d in documents.items() if _holds_phrase(d, words)}
    assert phrase and phrase <= loose
    assert reversed_phrase < loose
    assert not reversed_phrase & {p for p in loose if not _holds_phrase(documents[p], " ".join(reversed(words.split())))}


def test_a_phrase_is_stricter_than_its_words(api: ApiClient) -> None:
    assert len(search_all(api, '"the war"')) < len(search_all(api, "the war"))


@pytest.mark.parametrize("prefix", ["refuge", "syri", "migra", "bomb"])
def test_a_trailing_star_matches_every_word_starting_so(api: ApiClient, documents, prefix: str) -> None:
    found = set(search_all(api, prefix + "*"))
    expected = {p for p, d in documents.items() if any(w.startswith(prefix) for w in searchable_words(d))}
    assert found == expected and found
    assert set(search_all(api, prefix + "s*")) < found  # a longer prefix matches fewer


def test_prefix_and_words_combine(api: ApiClient, documents) -> None:
    found = set(search_all(api, "killed syri*"))
    expected = {p for p, d in documents.items()
                if "killed" in searchable_words(d) and any(w.startswith("syri") for w in searchable_words(d))}
    assert found == expected and found


# -- snippets -------------------------------------------------------------------------------
def test_every_hit_has_a_highlighted_snippet(api: ApiClient) -> None:
    for text in ("syria", "reuters", "pérez", "refuge*", '"prime minister"'):
        walk = page_through(api, searching(text), 100)
        for edge in walk.edges:
            assert "<mark>" in edge["snippetHtml"], (text, edge)


def test_snippets_mark_the_words_and_escape_the_archive_text(store: EventStore) -> None:
    api = app_with(
        store,
        (dt.date(2015, 9, 3), "Cartoon rights sold", 'Tom & Jerry <b>bold</b> <script>alert("x")</script> go to Pérez.'),
        (dt.date(2015, 9, 4), "Quiet day for <i>Pérez</i> & co", ""),
        (dt.date(2015, 9, 5), "A source-only match", "Nothing here.", [("Agence <Pérez>", "https://example.org/a")]),
    )
    edges = fetch_page(api, searching("perez"), first=10)["edges"]
    snippets = {edge["node"]["headline"]: edge["snippetHtml"] for edge in edges}
    assert len(snippets) == 3
    summary = snippets["Cartoon rights sold"]
    assert "<mark>Pérez</mark>" in summary
    assert "&lt;b&gt;bold&lt;/b&gt;" in summary and "&amp;" in summary and "&lt;script&gt;" in summary
    assert "<b>" not in summary and "<script" not in summary
    headline = snippets["Quiet day for <i>Pérez</i> & co"]
    assert "&lt;i&gt;<mark>Pérez</mark>&lt;/i&gt; &amp; co" in headline
    assert snippets["A source-only match"] == "Agence &lt;<mark>Pérez</mark>&gt;"
    for snippet in snippets.values():
        assert re.sub(r"</?mark>", "", snippet).count("<") == 0


def test_long_summaries_give_a_window_around_the_match(store: EventStore) -> None:
    words = " ".join(f"word{n}" for n in range(200))
    api = app_with(store, (dt.date(2015, 9, 6), "Long story", f"{words} needle {words}"))
    snippet = fetch_page(api, searching("needle"), first=1)["edges"][0]["snippetHtml"]
    assert "<mark>needle</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 300


# -- bad queries and search with a filter ---------------------------------------------------
@pytest.mark.parametrize("text", ["", "   ", '""', "*", "!!! ???", '" "'])
def test_a_query_without_words_is_bad_user_input(api: ApiClient, text: str) -> None:
    error = fetch_error(api, searching(text))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "no words" in error["message"]


def test_an_overlong_query_is_bad_user_input(api: ApiClient) -> None:
    error = fetch_error(api, searching("word " * 201))
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "1000" in error["message"]


def test_a_text_filter_on_search_narrows_it_further(api: ApiClient, documents) -> None:
    found = set(search_all(api, "syria", filter={"text": "refugees"}))
    expected = {p for p, d in documents.items() if {"syria", "refugees"} <= searchable_words(d)}
    assert found == expected and found
    assert found < set(search_all(api, "syria"))


def test_no_hits_is_an_empty_connection(api: ApiClient) -> None:
    page = fetch_page(api, searching("xylophonequartz"), first=5)
    assert page == {"totalCount": 0, "edges": [], "pageInfo": {
        "hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}}


# -- remembered rankings --------------------------------------------------------------------
def test_recent_searches_are_remembered_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsgraph.archive import search as search_module
    from newsgraph.archive.search import SearchDocument, SearchIndex, parse_query

    index = SearchIndex(SearchDocument(f"/news/{n:03}", f"storm {'river ' * (n % 4)}city {n}", "") for n in range(60))
    storm, river = parse_query("storm city"), parse_query("river city")  # one word alone is not remembered: it costs nothing
    first = index.matches(storm)
    assert index.matches(storm) is first  # paging on, or asking again, reuses the scores and the ranking
    assert index.best_first(first) == index.order(first.scores, first.scores)
    assert index.best_first(first) is first.best_first  # sorted once
    assert first.ascending == sorted(first.scores)
    assert len(first.best_first) == 60 and len(index.best_first(index.matches(river))) == 45
    monkeypatch.setattr(search_module, "RANKED_CACHE_MATCHES", 100)
    index.matches(parse_query("city storm"))  # 60 + 45 + 60 matches > 100: the oldest (storm city) goes
    assert index.matches(storm) is not first
    assert index.matches(storm).scores == first.scores
