"""The explorer at `/` in a real browser: Debian's chromium, driven by Playwright, against a real
`newsgraph serve` process over the bundled archive.

It walks timeline → event → related event → tag → search, checks archive text at each step, that
every view is exactly one GraphQL POST with variables, that the page reaches nothing but its own
origin, the phone-width layout, keyboard and landmark basics, the loading, empty and error states,
and that archive text is never interpreted as HTML. Screenshots go to tests/screenshots/; set
NEWSGRAPH_UPDATE_DOCS_SCREENSHOT=1 to also refresh docs/explorer.png (the README's picture).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import NEEDS_BROWSER, browser  # noqa: F401 - `browser` is a fixture
from tests.drivers import REPO, running_server

try:
    from playwright.sync_api import Browser, Page, Request, Route, expect
except ImportError:  # pragma: no cover - depends on the environment (tests.browser skips these tests)
    pass

BUNDLED_NEWS = REPO / "data" / "news"
SCREENSHOTS = REPO / "tests" / "screenshots"
DOCS_SCREENSHOT = REPO / "docs" / "explorer.png"

pytestmark = [*NEEDS_BROWSER, pytest.mark.browser, pytest.mark.slow]

# Archive text the walk expects (data/news, 1–15 September 2015).
GERMANY_BORDER = "Germany reintroduces emergency controls on its border with Austria."
GERMANY_TRAINS = "Germany reopens train services from Austria after reintroducing border controls."
AUSTRIA_UNRESOLVED = "Austrian officials report 11,000 migrants crossed into the country from Hungary on Saturday"
GUATEMALA_RESIGNS = "The President of Guatemala, Otto Pérez Molina, resigns after being charged in a corruption scandal"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn server that loaded the bundled archive into a fresh store file."""
    db = tmp_path_factory.mktemp("explorer") / "newsgraph.json"
    with running_server("--db", str(db), "--data", str(BUNDLED_NEWS)) as base:
        yield base




@pytest.fixture(scope="module", autouse=True)
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class Explorer:
    """A browser tab on the explorer that records its GraphQL requests and anything unexpected."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.graphql: list[dict[str, Any]] = []  # bodies of POST /graphql, in order
        self.trending: list[dict[str, Any]] = []  # ... but the timeline's trending panel's, its own request
        self.other_requests: list[str] = []  # same-origin requests that are not a static file or a POST /graphql
        self.offsite: list[str] = []  # requests to anywhere else (blocked)
        self.page_errors: list[str] = []
        page.set_default_timeout(5000)
        page.on("request", self._record)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.route(lambda url: not url.startswith(base + "/"), self._block)

    def _record(self, request: Request) -> None:
        if not request.url.startswith(self.base + "/"):
            return
        path = request.url[len(self.base):]
        if path == "/graphql" and request.method == "POST":
            body = json.loads(request.post_data or "{}")
            (self.trending if "trendingTags(" in body.get("query", "") else self.graphql).append(body)
        elif request.method != "GET" or path.split("#")[0].split("?")[0] not in {"/", "/app.js", "/style.css", "/favicon.svg"}:
            self.other_requests.append(f"{request.method} {path}")

    def _block(self, route: Route) -> None:
        self.offsite.append(route.request.url)
        route.abort()

    def open(self, hash_route: str) -> None:
        self.page.goto(f"{self.base}/{hash_route}")

    def heading(self) -> Any:
        return self.page.locator("main h1")

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        self.page.mouse.move(0, 0)  # no hover effects in the picture
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def one_request_since(self, before: int) -> dict[str, Any]:
        """The view just shown was fetched with exactly one GraphQL POST; its body."""
        assert len(self.graphql) == before + 1, [body.get("variables") for body in self.graphql[before:]]
        return self.graphql[-1]

    def headings(self) -> list[int]:
        return self.page.evaluate(
            "[...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]"
            ".map(h => Number(h.tagName[1]))"
        )

    def assert_headings_in_order(self) -> None:
        """One h1 first, no level skipped; and nothing stray (null, undefined) rendered into main."""
        text = self.page.locator("main").inner_text()
        assert "undefined" not in text and "[object" not in text and "\nnull\n" not in f"\n{text}\n", text[-300:]
        levels = self.headings()
        assert levels and levels[0] == 1 and levels.count(1) == 1, levels
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels

    def focused_text(self) -> str:
        return self.page.evaluate("document.activeElement ? document.activeElement.textContent.trim() : ''")

    def focused_tag(self) -> str:
        return self.page.evaluate("document.activeElement ? document.activeElement.tagName : ''")

    def check_clean(self) -> None:
        assert not self.page_errors, self.page_errors
        assert not self.other_requests, self.other_requests
        assert not self.offsite, self.offsite


@contextlib.contextmanager
def _tab(browser: Browser, server: str, **context_options: Any) -> Iterator[Explorer]:
    """A fresh browser context on the explorer, checked for stray requests and errors when done."""
    context = browser.new_context(locale="en-GB", **context_options)
    tab = Explorer(context.new_page(), server)
    try:
        yield tab
        tab.check_clean()
    finally:
        context.close()


@pytest.fixture
def explorer(browser: Browser, server: str) -> Iterator[Explorer]:
    with _tab(browser, server, viewport={"width": 1280, "height": 900}) as tab:
        yield tab


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Explorer]:
    with _tab(browser, server, viewport={"width": 390, "height": 844}, device_scale_factor=2,
              is_mobile=True, has_touch=True) as tab:
        yield tab


# ---------------------------------------------------------------- the walk


def test_timeline_event_related_tag_search(explorer: Explorer) -> None:
    page = explorer.page

    # Timeline: the newest days, grouped, with the per-day chart and the most used tags.
    explorer.open("")
    expect(explorer.heading()).to_have_text("Timeline")
    expect(page.locator(".lede")).to_contain_text("214 events")
    expect(page.locator(".day-group h2").first).to_have_text("Tuesday, 15 September 2015")
    expect(page.locator(".day-group").first).to_contain_text("The Nigerian Army rescues dozens of women and children in Borno State.")
    chart = page.locator("svg#activity-chart")
    expect(chart).to_have_attribute("role", "img")
    assert "Events per day in the archive. 214 events in all." in chart.get_attribute("aria-label")
    expect(page.get_by_role("complementary", name="Archive overview")).to_contain_text("Syria")
    body = explorer.one_request_since(0)
    assert body["variables"] == {"first": 30, "after": None, "last": None, "before": None}
    assert "days" in body["query"] and "events(" in body["query"]
    explorer.assert_headings_in_order()
    explorer.shot("1-timeline")
    if os.environ.get("NEWSGRAPH_UPDATE_DOCS_SCREENSHOT"):
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(SCREENSHOTS / "1-timeline.png", DOCS_SCREENSHOT)

    # Older: the next page through pageInfo.endCursor; the URL keeps the cursor (bookmarkable).
    older = page.get_by_role("link", name="Older events →")
    older_href = older.get_attribute("href")
    older.click()
    expect(page).to_have_url(f"{explorer.base}/{older_href}")
    expect(page.locator(".day-group").first).to_contain_text("14 September 2015")
    expect(page.get_by_role("link", name=GERMANY_BORDER)).to_be_visible()
    body = explorer.one_request_since(1)
    assert body["variables"]["after"] == parse_qs(urlsplit(older_href).fragment.split("?", 1)[1])["after"][0]
    assert body["variables"]["first"] == 30
    expect(page.get_by_role("link", name="← Newer events")).to_be_visible()

    # Event: summary (server HTML), sources as links, related events with context tags, links here.
    page.get_by_role("link", name=GERMANY_BORDER).click()
    expect(explorer.heading()).to_have_text(GERMANY_BORDER)
    assert explorer.focused_tag() == "H1" and explorer.focused_text() == GERMANY_BORDER
    assert explorer.one_request_since(2)["variables"] == {
        "path": "/news/2015/09/13/germany-reintroduces-emergency-controls-on-its-border-with-austria.md"}
    summary_link = page.locator(".summary a")
    expect(summary_link).to_have_text("European migrant crisis")
    expect(summary_link).to_have_attribute("href", "http://en.wikipedia.org/wiki/European_migrant_crisis")
    source = page.get_by_role("complementary", name="Sources").get_by_role("link", name="Washington Post")
    assert source.get_attribute("href").startswith("https://www.washingtonpost.com/world/migrants-coming-into-europe")
    related = page.locator(".related-item", has_text=GERMANY_TRAINS)
    expect(related.get_by_role("list", name="Shared tags").get_by_role("listitem")).to_have_text(["Austria", "Germany"])
    unresolved = page.locator(".related-item", has_text=AUSTRIA_UNRESOLVED)
    expect(unresolved).to_contain_text("not in this archive")
    expect(unresolved.get_by_role("link", name=AUSTRIA_UNRESOLVED)).to_have_count(0)
    expect(page.get_by_role("heading", name="Events that link here (7)")).to_be_visible()
    expect(page.locator("#linked-from-heading + .event-list")).to_contain_text("Denmark reopens rail services to Germany")
    explorer.assert_headings_in_order()
    explorer.shot("2-event")

    # Related event: follow the link; the view is fetched by its own path.
    related.get_by_role("link", name=GERMANY_TRAINS).click()
    expect(explorer.heading()).to_have_text(GERMANY_TRAINS)
    assert explorer.one_request_since(3)["variables"]["path"].startswith("/news/2015/09/14/germany-reopens-train-services")
    expect(page.locator(".crumbs")).to_contain_text("14 Sept 2015")
    expect(page.locator(".related-item", has_text=GERMANY_BORDER)).to_be_visible()
    explorer.shot("3-related-event")

    # Tag: its events, co-occurring tags and the per-month chart.
    page.locator("article header").get_by_role("link", name="Germany").click()
    expect(explorer.heading()).to_have_text("Germany")
    assert explorer.one_request_since(4)["variables"] == {"name": "Germany", "first": 20, "after": None}
    expect(page.locator(".lede")).to_contain_text("8 events")
    month_chart = page.locator("svg#tag-month-chart")
    expect(month_chart).to_have_attribute("role", "img")
    assert "Events tagged Germany per month" in month_chart.get_attribute("aria-label")
    assert month_chart.locator("rect").count() == 1
    assert month_chart.locator("title").first.text_content().startswith("Events tagged Germany per month")
    expect(page.get_by_role("complementary", name="Co-occurring tags").locator("li").first).to_contain_text("Austria")
    expect(page.locator(".cooccurring li").first).to_contain_text("3 of 8")
    expect(page.get_by_role("link", name=GERMANY_BORDER)).to_be_visible()
    explorer.assert_headings_in_order()
    explorer.shot("4-tag")

    # Search, typed into the labelled search box: snippets with <mark>, and the text sent as a variable.
    search_box = page.get_by_role("search").get_by_label("Search the archive")
    search_box.fill("Guatemala")
    search_box.press("Enter")
    expect(page).to_have_url(f"{explorer.base}/#/search?q=Guatemala")
    expect(explorer.heading()).to_have_text("Results for “Guatemala”")
    body = explorer.one_request_since(5)
    assert body["variables"] == {"text": "Guatemala", "first": 20, "after": None}
    assert "Guatemala" not in body["query"]
    expect(page.locator(".lede")).to_have_text("4 events match, best first.")
    expect(page.locator(".results")).to_contain_text(GUATEMALA_RESIGNS)
    marks = page.locator(".results mark")
    assert marks.count() >= 4 and {text.casefold() for text in marks.all_text_contents()} == {"guatemala"}
    explorer.assert_headings_in_order()
    explorer.shot("5-search")

    # Back goes to the previous view, fetched again.
    page.go_back()
    expect(explorer.heading()).to_have_text("Germany")


def test_views_are_bookmarkable(explorer: Explorer) -> None:
    page = explorer.page
    views = {
        "#/event/news/2015/09/14/germany-reopens-train-services-from-austria-after-reintroducing-border-controls.md": GERMANY_TRAINS,
        "#/tag/houthis": "Houthis",
        "#/search?q=%22state+of+emergency%22": "Results for “\"state of emergency\"”",
        "#/day/2015-09-03": "Thursday, 3 September 2015",
    }
    for count, (route, title) in enumerate(views.items()):
        page.goto("about:blank")
        explorer.open(route)
        expect(explorer.heading()).to_have_text(title)
        explorer.one_request_since(count)
        assert page.title().endswith("· newsgraph explorer")
    expect(page.locator(".event-list")).to_contain_text(GUATEMALA_RESIGNS)
    expect(page.get_by_role("navigation", name="Days").get_by_role("link")).to_have_text(["← 2 Sept 2015", "4 Sept 2015 →"])


# ---------------------------------------------------------------- phone, keyboard, landmarks


def test_phone_width_has_no_horizontal_scroll(phone: Explorer) -> None:
    page = phone.page
    routes = {
        "#/timeline": "Timeline",
        "#/event/news/2015/09/13/germany-reintroduces-emergency-controls-on-its-border-with-austria.md": GERMANY_BORDER,
        "#/tag/Islamic State of Iraq and the Levant": "Islamic State of Iraq and the Levant",
        "#/search?q=migra*": "Results for “migra*”",
    }
    for name, (route, title) in zip(["timeline", "event", "tag", "search"], routes.items(), strict=True):
        phone.open(route)
        expect(phone.heading()).to_have_text(title)
        widths = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
        assert max(widths[:2]) <= widths[2] == 390, (route, widths)
        expect(page.get_by_role("search").get_by_role("button", name="Search")).to_be_in_viewport()
        phone.shot(f"phone-{name}")


def test_keyboard_landmarks_and_focus(explorer: Explorer) -> None:
    page = explorer.page
    explorer.open("#/timeline")
    expect(explorer.heading()).to_have_text("Timeline")

    expect(page.get_by_role("banner")).to_have_count(1)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("contentinfo")).to_have_count(1)
    expect(page.get_by_role("search").get_by_label("Search the archive")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(1)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Timeline")).to_have_attribute("aria-current", "page")
    assert page.evaluate("document.documentElement.lang") == "en"

    # The first Tab reaches the skip link, shown with a visible focus ring; Enter moves focus into main.
    page.keyboard.press("Tab")
    assert explorer.focused_text() == "Skip to content"
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; })()")
    assert ring[0] != "none" and ring[1] != "0px", ring
    page.keyboard.press("Enter")
    assert explorer.focused_tag() == "H1"

    # Tab order then follows the page: the timeline's feed link under the heading, then the first day's heading link.
    page.keyboard.press("Tab")
    assert explorer.focused_text() == "Atom feed"
    page.keyboard.press("Tab")
    assert explorer.focused_text() == "Tuesday, 15 September 2015"
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none"

    # Following a link by keyboard moves focus to the new view's heading.
    page.get_by_role("link", name="The Nigerian Army rescues dozens of women and children in Borno State.").focus()
    page.keyboard.press("Enter")
    expect(explorer.heading()).to_have_text("The Nigerian Army rescues dozens of women and children in Borno State.")
    assert explorer.focused_tag() == "H1"

    # The search form works from the keyboard alone.
    page.get_by_label("Search the archive").focus()
    page.keyboard.type("volcan*")
    page.keyboard.press("Enter")
    expect(explorer.heading()).to_have_text("Results for “volcan*”")
    assert explorer.focused_tag() == "H1"
    expect(page.locator(".results")).to_contain_text("Mount Aso")


# ---------------------------------------------------------------- loading, empty and error states


def test_loading_empty_and_error_states(explorer: Explorer) -> None:
    page = explorer.page

    # Loading: while the request is held, the live region says so and main is busy.
    held: list[Route] = []
    page.route("**/graphql", lambda route: held.append(route))
    explorer.open("#/tag/Japan")
    expect(page.get_by_role("status")).to_have_text("Loading the tag…")
    expect(page.locator("main")).to_have_attribute("aria-busy", "true")
    page.wait_for_timeout(300)  # past the delay after which the indicator shows
    explorer.shot("state-loading")
    assert len(held) == 1
    page.unroute("**/graphql")
    held[0].continue_()
    expect(explorer.heading()).to_have_text("Japan")
    expect(page.get_by_role("status")).to_have_text("")
    expect(page.locator("main")).not_to_have_attribute("aria-busy", "true")

    # Error from the API (BAD_USER_INPUT): shown as an alert with the server's message.
    explorer.open("#/search?q=*")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The API did not accept this request.")
    expect(alert).to_contain_text("search text '*' has no words to search for")
    explorer.shot("state-error")

    # An unknown event path: not found, with a way on.
    explorer.open("#/event/news/2015/09/3/no-such-event.md")
    expect(explorer.heading()).to_have_text("Event not found")
    expect(page.locator(".empty")).to_contain_text("/news/2015/09/3/no-such-event.md")
    explorer.shot("state-not-found")

    # Empty results, an unknown tag, a day without events, a bad date, an unknown route.
    explorer.open("#/search?q=zzyzx")
    expect(page.locator(".empty")).to_contain_text("No events match “zzyzx”.")
    explorer.open("#/tag/No such tag")
    expect(page.locator(".empty")).to_contain_text("No event carries this tag.")
    explorer.open("#/day/2015-10-01")
    expect(page.locator(".empty")).to_contain_text("The archive has no events on this day.")
    explorer.open("#/day/2015-09-31")
    expect(page.get_by_role("alert")).to_contain_text("Date")
    before = len(explorer.graphql)
    explorer.open("#/nowhere")
    expect(explorer.heading()).to_have_text("Page not found")
    explorer.open("#/search")
    expect(explorer.heading()).to_have_text("Search the archive")
    assert len(explorer.graphql) == before  # neither needs the API

    # The API unreachable: an alert, and "Try again" recovers once it answers.
    page.route("**/graphql", lambda route: route.abort())
    explorer.open("#/tag/Yemen")
    expect(page.get_by_role("alert")).to_contain_text("The API could not be reached.")
    page.unroute("**/graphql")
    page.get_by_role("button", name="Try again").click()
    expect(explorer.heading()).to_have_text("Yemen")


# ---------------------------------------------------------------- archive text is text


HOSTILE_EVENT = """\
### [2015-09-16](/news/2015/09/16/index.md)

# Hostile <img src=x onerror="window.__pwned=1"> headline & <script>window.__pwned=2</script> text

Summary with <script>window.__pwned=3</script> raw HTML, a [bad link](javascript:window.__pwned=4) and a [good link](https://example.org/ok).

### Source:

1. [<b>Bold</b> Outlet](https://example.org/report)
2. [Cover Image](http://cover.invalid/picture.jpg)

### Related:

1. [A linked event <script>window.__pwned=5</script>](/news/2015/09/3/not-in-this-archive.md) _Context: <i>Guatemala</i>, Otto Prez Molina_
"""
HOSTILE_HEADLINE = 'Hostile <img src=x onerror="window.__pwned=1"> headline & <script>window.__pwned=2</script> text'


def test_archive_text_is_never_html(browser: Browser, tmp_path: Path) -> None:
    news = tmp_path / "news" / "2015" / "09" / "16"
    news.mkdir(parents=True)
    (news / "hostile.md").write_text(HOSTILE_EVENT, encoding="utf-8")
    with running_server("--db", str(tmp_path / "db.json"), "--data", str(tmp_path / "news")) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            tab = Explorer(context.new_page(), base)
            page = tab.page
            tab.open("#/search?q=hostile")
            expect(page.locator(".results mark")).to_have_text("Hostile")
            expect(page.locator(".results .event-title")).to_have_text(HOSTILE_HEADLINE)
            page.locator(".results .event-title a").click()

            expect(tab.heading()).to_have_text(HOSTILE_HEADLINE)
            expect(page.locator(".summary")).to_contain_text("<script>window.__pwned=3</script>")
            expect(page.locator(".summary a")).to_have_count(1)
            expect(page.locator(".summary a")).to_have_attribute("href", "https://example.org/ok")
            expect(page.get_by_role("link", name="<b>Bold</b> Outlet")).to_have_attribute("href", "https://example.org/report")
            expect(page.locator(".related-item")).to_contain_text("A linked event <script>window.__pwned=5</script>")
            expect(page.locator(".cover img")).to_have_attribute("alt", f"Picture for: {HOSTILE_HEADLINE}")
            expect(page.locator(".cover")).to_have_class("cover broken")  # the picture's host is unreachable

            assert page.evaluate("window.__pwned") is None
            assert page.locator("main script, main img:not(.cover img), main b, main i").count() == 0
            assert page.locator("main a[href^='javascript:' i]").count() == 0

            page.locator("article header").get_by_role("link", name="<i>Guatemala</i>").click()
            expect(tab.heading()).to_have_text("<i>Guatemala</i>")
            expect(page.locator(".lede")).to_contain_text("1 event")
            assert page.evaluate("window.__pwned") is None
            tab.shot("hostile-tag")

            assert not tab.page_errors, tab.page_errors
            assert tab.offsite == ["http://cover.invalid/picture.jpg"]  # the archive's own picture URL, blocked here
        finally:
            context.close()
