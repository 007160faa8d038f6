"""Output safety: archive text never reaches a browser as markup.

`summaryHtml` and `snippetHtml` are the only fields that carry HTML; both are
checked with an HTML parser against an allowlist of tags and attributes, for an
event with HTML and script in every text field and, property-based, for any
summary markdown. The pages the server itself renders (explorer, GraphiQL) are
static and never embed archive text; API responses are JSON, never text/html.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsgraph.api.summary_cache import summary_html
from newsgraph.load import load_files
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.drivers import ApiClient

PATH = "/news/2015/09/3/script-alert-headline-script-zebra-img-src-x-onerror-alert-1-crossing.md"
HOSTILE = """\
### [2015-09-3](/news/2015/09/3/index.md)

# <script>alert("headline")</script> Zebra <img src=x onerror=alert(1)> crossing\x20

<script>alert("summary")</script> The zebra <b onclick="steal()">story</b> [click](javascript:alert(1))
[fine](https://example.org/a) <a href="javascript:alert(2)">raw</a> ![pic](javascript:alert(3))
[data](data:text/html;base64,PHNjcmlwdD4=) [entity](&#106;avascript:alert(4)) <javascript:alert(5)>
[spaced]( JAVASCRIPT:alert(6)) [tab](java\tscript:alert(7)) <iframe src="https://evil.example"></iframe>
<!-- a comment --> `<code>` &lt;b&gt; [vb](vbscript:msgbox(1)) [file](file:///etc/passwd)

<div onmouseover="alert(8)">a raw block</div>

### Source:

1. [<script>alert("source")</script>BBC](https://www.bbc.co.uk/news/1)
2. [Evil](javascript:alert(9))
3. [Cover Image](javascript:alert(10))

### Related:

1. [<script>alert("related")</script> Other zebra event ](/news/2015/09/3/other-zebra-event.md) _Context: <script>alert(11)</script>, Zebras_
"""

ALLOWED = {
    "p": set(), "em": set(), "strong": set(), "code": {"class"}, "pre": set(), "br": set(), "hr": set(),
    "ul": set(), "ol": {"start"}, "li": set(), "blockquote": set(), "a": {"href", "title"},
    "img": {"src", "alt", "title"}, **{f"h{level}": set() for level in range(1, 7)},
}
URL_ATTRIBUTES = {"href", "src"}


class _Markup(HTMLParser):
    """Every tag and attribute in a piece of HTML, and any comment or declaration."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.other.append(decl)

    def handle_pi(self, data: str) -> None:
        self.other.append(data)


def assert_safe_html(html: str, allowed: dict[str, set[str]] = ALLOWED) -> None:
    markup = _Markup()
    markup.feed(html)
    markup.close()
    assert markup.other == [], markup.other
    for tag, attributes in markup.tags:
        assert tag in allowed, f"tag <{tag}> in {html!r}"
        for name, value in attributes:
            assert name in allowed[tag], f"attribute {name} on <{tag}> in {html!r}"
            if name in URL_ATTRIBUTES:
                assert urlsplit((value or "").strip()).scheme.lower() in ("http", "https"), f"{name}={value!r}"


@pytest.fixture(scope="module")
def hostile_api(tmp_path_factory: pytest.TempPathFactory) -> ApiClient:
    root = tmp_path_factory.mktemp("hostile")
    file = root / "news" / PATH.lstrip("/")
    file.parent.mkdir(parents=True)
    file.write_text(HOSTILE, encoding="utf-8")
    other = file.with_name("other-zebra-event.md")
    other.write_text("### [2015-09-3](/news/2015/09/3/index.md)\n\n# Other zebra event\n", encoding="utf-8")
    store = EventStore(root / "newsgraph.json")
    report = load_files(store, [root / "news"])
    assert report.rejected == 0, [str(problem) for problem in report.problems]
    assert PATH in {document["path"] for document in store.documents()}  # else every test would query null
    return ApiClient(create_app(store, ServerSettings(reload_interval=0)))


EVENT = """query ($path: String!) { event(path: $path) { headline summary summaryMarkdown summaryHtml coverImage
  sources { name url } related { headline context { name } } tags { name } } }"""


def test_summary_html_carries_no_raw_html_and_no_script_links(hostile_api: ApiClient) -> None:
    event = hostile_api.data(EVENT, {"path": PATH})["event"]
    html = event["summaryHtml"]
    assert_safe_html(html)
    assert "&lt;script&gt;" in html and "<script" not in html.lower()
    assert "&lt;div onmouseover" in html
    assert '<a href="https://example.org/a">fine</a>' in html  # a web link survives
    assert "javascript:" not in " ".join(value or "" for _tag, attrs in _parsed(html) for _name, value in attrs).lower()


def _parsed(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    markup = _Markup()
    markup.feed(html)
    return markup.tags


def test_links_from_the_file_are_web_links_only(hostile_api: ApiClient) -> None:
    event = hostile_api.data(EVENT, {"path": PATH})["event"]
    assert [source["url"] for source in event["sources"]] == ["https://www.bbc.co.uk/news/1"]
    assert event["coverImage"] is None


def test_text_fields_come_back_as_data_exactly_as_written(hostile_api: ApiClient) -> None:
    """JSON carries the text as it is: escaping is for whoever puts it in a page (the explorer uses textContent)."""
    event = hostile_api.data(EVENT, {"path": PATH})["event"]
    assert event["headline"] == '<script>alert("headline")</script> Zebra <img src=x onerror=alert(1)> crossing'
    assert event["sources"][0]["name"] == '<script>alert("source")</script>BBC'
    assert '<script>alert(11)</script>' in [tag["name"] for tag in event["tags"]]


def test_search_snippets_escape_archive_text(hostile_api: ApiClient) -> None:
    hits = hostile_api.data('{ search(text: "zebra") { edges { snippetHtml node { path } } } }')["search"]["edges"]
    snippets = [hit["snippetHtml"] for hit in hits if hit["node"]["path"] == PATH]
    assert snippets and "<mark>" in snippets[0]
    assert "&lt;script&gt;" in snippets[0] or "&lt;b onclick" in snippets[0]
    for snippet in snippets:
        assert_safe_html(snippet, {"mark": set()})


def test_the_pages_the_server_renders_hold_no_archive_text_and_api_answers_are_json(hostile_api: ApiClient) -> None:
    for url in ("/", "/graphql"):
        page = hostile_api.request("GET", url, headers={"accept": "text/html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "alert(" not in page.text and "Zebra" not in page.text
    for method, kwargs in (("GET", {"params": {"query": f'{{ event(path: "{PATH}") {{ headline }} }}'}}),
                           ("POST", {"json": {"query": f'{{ event(path: "{PATH}") {{ headline }} }}'}})):
        answer = hostile_api.request(method, "/graphql", headers={"accept": "text/html, application/json"}, **kwargs)
        assert answer.headers["content-type"].startswith("application/json"), answer.headers
        assert answer.json()["data"]["event"]["headline"].startswith("<script>")


_HOSTILE_PIECES = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:alert(1)'>x</a>",
    "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x]( javascript:alert(1))", "[x](&#106;avascript:1)",
    "[x](java&#x09;script:1)", "![x](javascript:alert(1))", "<javascript:alert(1)>", "[x](data:text/html,<b>)",
    "[x](vbscript:1)", "[x](//evil.example/a)", "[x](https://ok.example/a?b=<c>)", "<http://ok.example>",
    "[x]: javascript:alert(1)\n\n[y][x]", "<div>", "</p>", "<!-- c -->", "<![CDATA[x]]>", "<?php ?>", "&lt;", "&",
    "`<b>`", "```\n<script>\n```", "> <b>quote</b>", "* <i>item</i>", "1. <u>one</u>", "# <h1>", "**<s>**",
    "\n\n", "\n", " ", "\\<", "\"", "'", "<", ">", "](", "[", "(", ")", "`", "*", "_",
]


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.one_of(st.sampled_from(_HOSTILE_PIECES), st.text(max_size=12)), max_size=25))
def test_summary_html_is_safe_for_any_markdown(pieces: list[str]) -> None:
    html = summary_html("".join(pieces))
    assert_safe_html(html)
    assert "<script" not in html.lower()


@pytest.mark.parametrize("markdown", [
    "[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))", "[x](&#106;avascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>", "![x](javascript:alert(1))", "<javascript:alert(1)>",
    "[x]: javascript:alert(1)\n\n[y][x]", "[x](data:text/html;base64,PHNjcmlwdD4=)",
])
def test_known_script_link_forms_never_become_links(markdown: str) -> None:
    html = summary_html(markdown)
    assert_safe_html(html)
    assert [tag for tag, _attributes in _parsed(html) if tag in ("a", "img")] == [], html


def test_summary_html_of_the_bundled_archive_is_safe(bundled_store: EventStore) -> None:
    for document in bundled_store.documents():
        assert_safe_html(summary_html(document["summary_markdown"]))
