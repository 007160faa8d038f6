"""The work inside one resolver is bounded: summaryHtml rendering, search prefixes, phrase checks, snippets.

Behaviour only (refusals, their codes and messages, the HTML that comes out, where the
deadline is checked); the speed these bounds buy is measured by `python -m bench.resolver_bounds`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from markdown_it import MarkdownIt

from newsgraph.api.limits import QUERY_TIMEOUT, QueryTimeout
from newsgraph.archive import search as search_module
from newsgraph.archive import snippets
from newsgraph.archive.search import SearchDocument, SearchIndex, parse_query
from newsgraph.archive.text import words_with_offsets
from newsgraph.parse import parse_event
from newsgraph.parse import summary_html as render
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore, event_to_document
from tests.api_listings import event_markdown, searchable_words
from tests.drivers import ApiClient
from tests.test_output_safety import assert_safe_html

DAY = dt.date(2015, 9, 3)
EVENT_HTML = 'query ($path: String!) { event(path: $path) { summaryHtml } }'


def app_over(store: EventStore) -> ApiClient:
    return ApiClient(create_app(store, ServerSettings(reload_interval=0)))


def store_with_summaries(store: EventStore, summaries: dict[str, str]) -> dict[str, str]:
    """Events headlined by the keys, their summaries written straight into the store (as an import would keep
    them, however long): headline → path."""
    paths, documents = {}, []
    for headline, summary in summaries.items():
        event = parse_event(event_markdown(DAY, headline, "Placeholder.")).event
        assert event is not None
        documents.append({**event_to_document(event), "summary_markdown": summary, "summary": summary})
        paths[headline] = event.path
    store.write(documents)
    return paths


def summary_html_of(api: ApiClient, path: str) -> str:
    return api.data(EVENT_HTML, {"path": path})["event"]["summaryHtml"]


def commonmark() -> MarkdownIt:
    """The renderer summaryHtml promises to match for every real summary: markdown-it's commonmark, web links only."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.validateLink = render._is_web_link
    return md


# -- summaryHtml ------------------------------------------------------------------------------
PATHOLOGICAL = {  # a run of each, 900 KB: markdown-it spends up to 20 µs a character on them
    "images": "![", "brackets": "[", "emphasis and brackets": "*[", "unclosed links": "[a](b", "lines of brackets": "![\n",
    "backticks": "`a", "autolinks": "<a:", "nested emphasis": "**a", "list items": "1. a\n",
}


def test_pathological_summaries_come_out_as_their_escaped_text(store: EventStore) -> None:
    summaries = {f"Pathological {name}": (unit * (900_000 // len(unit)))[:900_000] for name, unit in PATHOLOGICAL.items()}
    paths = store_with_summaries(store, summaries)
    api = app_over(store)
    for headline, summary in summaries.items():
        html = summary_html_of(api, paths[headline])
        assert_safe_html(html)
        text = re.sub(r"</p>\n<p>", "\n\n", html.removeprefix("<p>").removesuffix("</p>\n"))
        assert text == summary.strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
            '"', "&quot;"), headline  # every character there, escaped, no markup
        assert "<a " not in html and "<img" not in html and "<em>" not in html


def test_a_short_summary_too_intricate_for_the_budget_is_text_too(store: EventStore) -> None:
    intricate = "![" * 20_000  # 40,000 characters: within MARKDOWN_CHARS, but hundreds of thousands of rule calls
    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) " + "[" * 20_000
    paths = store_with_summaries(store, {"Intricate": intricate, "Hostile": hostile})
    api = app_over(store)
    assert summary_html_of(api, paths["Intricate"]) == "<p>" + intricate + "</p>\n"
    html = summary_html_of(api, paths["Hostile"])
    assert_safe_html(html)
    assert html.startswith("<p>&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1)) [[[")


def test_real_summaries_render_exactly_as_markdown_it_does(store: EventStore) -> None:
    md = commonmark()
    summaries = {
        "Plain": "A plain summary of one line.",
        "Marked up": "Read [this](https://example.com/a) and *that* and **more**, `code` &amp; &hellip; [&hellip;]",
        "Blocks": "First paragraph [a](http://example.org/x \"t\").\n\nSecond\nwith a soft break.\n\n> quoted\n\n- one\n- two",
        "References": "See [the report][r].\n\n[r]: https://example.org/report",
        "Hostile": "<b onclick=x>b</b> [x](javascript:alert(1)) ![i](data:x) <http://example.org>",
        "Long prose": ("A long but ordinary paragraph with a [link](https://example.org/p) and *emphasis*. " * 400),
    }
    paths = store_with_summaries(store, summaries)
    api = app_over(store)
    for headline, summary in summaries.items():
        assert summary_html_of(api, paths[headline]) == md.render(summary), headline


def test_a_summary_longer_than_the_markdown_bound_renders_its_first_blocks_and_then_text(store: EventStore) -> None:
    md = commonmark()
    first = "The start, with [a link](https://example.org/start) and **bold**."
    filler = ("An ordinary paragraph with *emphasis*, repeated to make the summary long. " * 10).strip()
    blocks = [first] + [filler] * (render.MARKDOWN_CHARS // len(filler) + 5)
    last = "The end: <script>alert(1)</script> [x](https://example.org/end) *not emphasis*"
    summary = "\n\n".join([*blocks, last])
    paths = store_with_summaries(store, {"Long": summary})
    html = summary_html_of(app_over(store), paths["Long"])
    assert_safe_html(html)
    fitting = 1 + (render.MARKDOWN_CHARS - len(first)) // len(filler)  # whole blocks within MARKDOWN_CHARS
    as_text = [*blocks[fitting:], last]
    assert html == "".join(map(md.render, blocks[:fitting])) + "".join(
        "<p>" + block.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>\n" for block in as_text)
    assert '<a href="https://example.org/start">a link</a>' in html and "<strong>bold</strong>" in html
    assert html.count("<em>emphasis</em>") == 10 * (fitting - 1) and html.count("*emphasis*") == 10 * (len(as_text) - 1)
    assert html.endswith("<p>The end: &lt;script&gt;alert(1)&lt;/script&gt; [x](https://example.org/end) *not emphasis*</p>\n")


def test_the_budget_counts_rule_calls_so_the_same_summary_always_gives_the_same_html() -> None:
    summary = "a *b* [c](https://example.org/c)\n\n" + "![" * 3_000
    fits = render.render_summary(summary, budget=10**9)
    assert fits == commonmark().render(summary)
    over = render.render_summary(summary, budget=1_000)
    assert over == "<p>a *b* [c](https://example.org/c)</p>\n<p>" + "![" * 3_000 + "</p>\n"
    assert {render.render_summary(summary, budget=1_000) for _ in range(3)} == {over}


# -- search: prefixes -------------------------------------------------------------------------
def _expansion(documents: dict[str, dict[str, Any]], prefix: str) -> tuple[int, int]:
    """(words of the archive starting with `prefix`, times one of them is in an event): brute force."""
    words: set[str] = set()
    found = 0
    for document in documents.values():
        matching = {word for word in searchable_words(document) if word.startswith(prefix)}
        words |= matching
        found += len(matching)
    return len(words), found


def test_a_prefix_broader_than_the_bound_is_refused_naming_it(bundled_store, documents, monkeypatch) -> None:
    words, found = _expansion(documents, "s")
    monkeypatch.setattr(search_module, "MAX_PREFIX_POSTINGS", found - 1)
    api = app_over(bundled_store)
    error = api.error('{ search(text: "syria s*") { totalCount } }')
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["path"] == ["search"]
    assert error["message"] == (
        f"prefix too broad: `s*` matches {words:,} words, found {found:,} times in the archive; "
        f"a search's prefixes may match at most {found - 1:,} times: give more letters"
    )
    narrower = api.data('{ search(text: "syria sy*") { totalCount } }')["search"]["totalCount"]
    assert narrower == sum(1 for d in documents.values() if "syria" in searchable_words(d)
                           and any(w.startswith("sy") for w in searchable_words(d)))


def test_prefixes_broader_together_than_the_bound_are_refused(bundled_store, documents, monkeypatch) -> None:
    sizes = [_expansion(documents, prefix) for prefix in ("a", "b")]  # each within the bound, not both
    monkeypatch.setattr(search_module, "MAX_PREFIX_POSTINGS", max(found for _, found in sizes))
    api = app_over(bundled_store)
    error = api.error('{ search(text: "a* b*") { totalCount } }')
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == (
        f"prefixes too broad: `a*`, `b*` are found {sum(f for _, f in sizes):,} times in the archive in all; "
        f"a search's prefixes may match at most {max(f for _, f in sizes):,} times: give more letters, or fewer prefixes"
    )
    assert api.data('{ search(text: "a*") { totalCount } }')["search"]["totalCount"] > 0  # each alone fits


def test_the_alphabet_of_prefixes_is_refused_at_once_by_the_default_bound(store: EventStore) -> None:
    """`a* b* … z*` over an archive where every letter starts many words: refused before any posting is read."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = [f"{a}{b}{c}" for a in letters for b in "aeiou" for c in "nrst"]  # 520 words, 20 per letter
    per_event = " ".join(words)
    count = search_module.MAX_PREFIX_POSTINGS // len(words) + 1  # every word in every event: just over the bound
    index = SearchIndex(SearchDocument(f"/news/{n:05}", f"Event {n}", per_event) for n in range(count))
    with pytest.raises(search_module.SearchTooBroad, match=r"^prefixes too broad: `a\*`, `b\*`, `c\*`, `d\*`, `e\*`, …"):
        index.matches(parse_query(" ".join(f"{letter}*" for letter in letters)))
    assert index._postings["aan"]._weights is None  # refused before any word's weights were computed
    assert len(index.matches(parse_query("a* b*"))) == count  # 40 words: well within the bound


def test_the_related_by_filter_of_many_aliases_on_many_events_is_refused(bundled_store, documents, monkeypatch) -> None:
    """The availability attack: 100 events × 50 aliases of relatedBy filtered by a broad prefix text."""
    fields = " ".join(f'r{n}: relatedBy(first: 0, filter: {{text: "a* b*"}}) {{ totalCount }}' for n in range(50))
    query = f"{{ events(first: 100) {{ edges {{ node {{ path {fields} }} }} }} }}"
    _, found = _expansion(documents, "a")
    monkeypatch.setattr(search_module, "MAX_PREFIX_POSTINGS", found - 1)
    body = app_over(bundled_store).post_graphql(query)
    assert body["data"] is None and body["errors"]
    assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}
    assert all(error["message"].startswith("prefix too broad: `a*` matches") for error in body["errors"])
    monkeypatch.setattr(search_module, "MAX_PREFIX_POSTINGS", 10 * found)
    data = app_over(bundled_store).data(query)  # within the bound: answered
    assert len(data["events"]["edges"]) == 100


def test_a_filter_text_asked_by_many_aliases_is_scored_once(bundled_store, monkeypatch) -> None:
    calls = []
    score = SearchIndex._score

    def counting(self, query, deadline):  # noqa: ANN001, ANN202
        calls.append(query)
        return score(self, query, deadline)

    monkeypatch.setattr(SearchIndex, "_score", counting)
    api = app_over(bundled_store)
    fields = " ".join(f'r{n}: events(first: 1, filter: {{text: "syria refugee*", tagsAny: ["Syria"]}}) {{ totalCount }}'
                      for n in range(30))
    data = api.data(f"{{ {fields} }}")
    assert len({page["totalCount"] for page in data.values()}) == 1 and data["r0"]["totalCount"] > 0
    assert calls == [parse_query("syria refugee*")]


# -- the deadline inside the search loops -----------------------------------------------------
def test_the_search_loops_check_the_deadline(bundled_store, documents, monkeypatch) -> None:
    checks = []
    real = search_module.deadline_check()

    def spy() -> None:
        checks.append(1)
        real()

    monkeypatch.setattr(search_module, "_deadline_check", spy)
    api = app_over(bundled_store)
    assert api.data('{ search(text: "s* t*") { totalCount } }')["search"]["totalCount"] > 0
    words = sum(_expansion(documents, prefix)[0] for prefix in "st")
    assert len(checks) >= words  # at least once per word of each expansion as the postings are merged
    checks.clear()
    syria = json.dumps(next(path for path, d in documents.items() if "syria" in searchable_words(d)))
    filtered = api.data(f'{{ event(path: {syria}) {{ relatedBy(first: 0, filter: {{text: "sy* re*"}}) {{ totalCount }} }} }}')
    assert filtered["event"]["relatedBy"]["totalCount"] >= 0
    assert len(checks) >= sum(_expansion(documents, prefix)[0] for prefix in ("sy", "re"))  # the filter path too


def test_a_query_whose_deadline_passes_inside_the_search_stops_there_with_query_timeout(bundled_store, monkeypatch) -> None:
    """The deadline passing while prefixes are merged: QUERY_TIMEOUT and no data, as at any other point."""
    checks = []

    def deadline_passes_on_the_tenth_check() -> None:
        checks.append(1)
        if len(checks) >= 10:
            raise QueryTimeout(5)

    monkeypatch.setattr(search_module, "_deadline_check", deadline_passes_on_the_tenth_check)
    body = app_over(bundled_store).post_graphql('{ stats { events } search(text: "s* t*") { totalCount } }')
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == [QUERY_TIMEOUT]
    assert len(checks) == 10  # it stopped at the check that raised


def test_phrases_are_checked_word_for_word_and_within_the_deadline(store: EventStore, monkeypatch) -> None:
    summaries = {
        f"Event {n}": ("The end, of the war. " if n % 3 == 0 else "The end of a war, the war. ") * (1 + n % 5)
        for n in range(30)
    }
    paths = store_with_summaries(store, summaries)
    api = app_over(store)
    found = api.data('{ search(text: "\\"end of the war\\"", first: 100) { edges { node { path } } } }')["search"]["edges"]
    assert {edge["node"]["path"] for edge in found} == {paths[f"Event {n}"] for n in range(0, 30, 3)}
    monkeypatch.setattr(search_module, "DEADLINE_EVERY", 4)
    checks = []
    monkeypatch.setattr(search_module, "_deadline_check", lambda: checks.append(1))
    api.data('{ search(text: "\\"the war end\\" of") { totalCount } }')
    assert len(checks) >= 30 // 4


# -- snippets ---------------------------------------------------------------------------------
def _reference_highlight(text: str, query, max_chars: int = snippets.SNIPPET_CHARS) -> str | None:  # noqa: ANN001
    """The snippet as first written: every word of the text folded and compared, one by one."""
    import html

    words, prefixes = set(query.all_tokens), query.prefixes
    spans = [(s, e) for word, s, e in words_with_offsets(text) if word in words or any(map(word.startswith, prefixes))]
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
    for s, e in spans:
        if s < start or e > end or s < cursor:
            continue
        pieces += [html.escape(text[cursor:s]), "<mark>" + html.escape(text[s:e]) + "</mark>"]
        cursor = e
    pieces.append(html.escape(text[cursor:end]))
    return ("…" if start > 0 else "") + "".join(pieces) + ("…" if end < len(text) else "")


@pytest.mark.parametrize("segment", [1, 5, 64, snippets.SEGMENT_CHARS])
def test_snippets_read_in_segments_are_the_word_by_word_snippets(segment: int, monkeypatch) -> None:
    monkeypatch.setattr(snippets, "SEGMENT_CHARS", segment)
    texts = [
        "Storm over the city; storms, STORMING Río and rio. Ærø ½ ﬁre fire İstanbul _storm_ storm_ café CAFÉ",
        "Nothing here " * 30 + "then a storm " + "and more words after it " * 20,
        "x" * 300 + " Pérez " + "y" * 300 + " perez",
        "\tstorm\nstorm\u00a0storm\u2003storm",
        "",
    ]
    queries = ["storm", "storm*", "rio cafe", "fi*", "perez", "i*", "1 2", "ærø", "x* y*", '"storm over"']
    for text in texts:
        for query_text in queries:
            query = parse_query(query_text)
            for max_chars in (180, 30):
                assert snippets.highlight(text, query, max_chars) == _reference_highlight(text, query, max_chars), (
                    text[:40], query_text, max_chars)


def test_a_match_at_the_end_of_a_long_summary_is_found_and_marked(store: EventStore) -> None:
    summary = "Nothing to see in this sentence at all. " * 25_000 + "Then the zebra crossing."
    paths = store_with_summaries(store, {"A long one": summary})
    hits = app_over(store).data('{ search(text: "zebra") { edges { node { path } snippetHtml } } }')["search"]["edges"]
    assert [hit["node"]["path"] for hit in hits] == [paths["A long one"]]
    assert hits[0]["snippetHtml"].endswith("Then the <mark>zebra</mark> crossing.")
