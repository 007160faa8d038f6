"""The explorer's story views in a real browser (Debian's chromium, driven by Playwright, against a real
`newsgraph serve` over the bundled archive): an event's thread and similar events, "on this day" and the
trending tags beside the timeline, each checked against the API's own answer.

It walks thread → similar event → on this day (from the event, from the day picker, and today) → trending tag.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser import browser, needs_browser  # noqa: F401 - `browser` is a fixture
from tests.drivers import REPO, running_server

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # pragma: no cover - depends on the environment (tests.browser skips the test)
    pass

BUNDLED_NEWS = REPO / "data" / "news"
GERMANY_BORDER = "/news/2015/09/13/germany-reintroduces-emergency-controls-on-its-border-with-austria.md"
GERMANY_TRAINS = "/news/2015/09/14/germany-reopens-train-services-from-austria-after-reintroducing-border-controls.md"
STORY = """query Story($path: String!) { event(path: $path) { headline date
  thread { totalCount events(first: 100) { edges { node { path headline date } } } }
  similar(first: 6) { edges { score node { path headline } } } } }"""
ON_THIS_DAY = """query Day($month: Int!, $day: Int!) { onThisDay(month: $month, day: $day, first: 20) {
  totalCount edges { node { headline date } } } }"""
TRENDING = """query Trending($from: Date!, $to: Date!) { trendingTags(from: $from, to: $to, first: 8) { tag { name } count } }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("story") / "newsgraph.json"
    with running_server("--db", str(db), "--data", str(BUNDLED_NEWS)) as base:
        yield base


def api(server: str, query: str, **variables: Any) -> dict[str, Any]:
    body = httpx.post(f"{server}/graphql", json={"query": query, "variables": variables}, timeout=10).json()
    assert "errors" not in body, body
    return body["data"]


def event_href(path: str) -> str:
    return "#/event" + path


def check_event_page(page: Page, server: str, path: str) -> dict[str, Any]:
    """The event's page shows its thread (this event marked) and similar events as the API gives them."""
    story = api(server, STORY, path=path)["event"]
    expect(page.locator("article h1")).to_have_text(story["headline"])
    thread = story["thread"]
    nodes = [edge["node"] for edge in thread["events"]["edges"]]
    if thread["totalCount"] == 1:  # an event whose links share none of its tags: its thread is itself
        expect(page.get_by_role("heading", name="Story thread", exact=True)).to_be_visible()
        expect(page.locator("#thread-heading + p")).to_have_text("No linked event shares this event's tags: it is a thread of its own.")
        expect(page.locator(".thread")).to_have_count(0)
        nodes = []
    else:
        expect(page.get_by_role("heading", name=f"Story thread ({thread['totalCount']} events)")).to_be_visible()
    items = page.get_by_role("list", name="Story thread").get_by_role("listitem")
    expect(items).to_have_count(len(nodes))
    for item, node in zip(items.all(), nodes, strict=True):
        expect(item).to_contain_text(node["headline"])
        expect(item.locator("time")).to_have_attribute("datetime", node["date"])
        if node["path"] == path:
            expect(item).to_have_attribute("aria-current", "true")
            expect(item).to_contain_text("this event")
            expect(item.get_by_role("link")).to_have_count(0)
        else:
            expect(item).not_to_have_attribute("aria-current", "true")
            expect(item.get_by_role("link")).to_have_attribute("href", event_href(node["path"]))
    expect(page.locator(".thread-item[aria-current]")).to_have_count(1 if nodes else 0)
    similar = page.locator(".similar-item .event-title")
    expect(similar).to_have_text([hit["node"]["headline"] for hit in story["similar"]["edges"]])
    return story


@needs_browser
def test_thread_similar_on_this_day_trending(browser: Browser, server: str) -> None:  # noqa: F811
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    graphql: list[dict[str, Any]] = []
    stray: list[str] = []
    errors: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(5000)
        page.route(lambda url: not url.startswith(server + "/"), lambda route: (stray.append(route.request.url), route.abort()))
        page.on("request", lambda request: graphql.append(json.loads(request.post_data or "{}"))
                if request.url == f"{server}/graphql" and request.method == "POST" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))

        # Thread: the event's story as a timeline, oldest first, with this event marked; one request for the page.
        page.goto(f"{server}/{event_href(GERMANY_BORDER)}")
        story = check_event_page(page, server, GERMANY_BORDER)
        assert story["thread"]["totalCount"] > 2
        assert len(graphql) == 1 and graphql[0]["variables"] == {"path": GERMANY_BORDER}

        # Another event of the thread: its page marks it instead.
        page.get_by_role("list", name="Story thread").get_by_role("link", name=api(server, STORY, path=GERMANY_TRAINS)
                                                                    ["event"]["headline"]).click()
        expect(page).to_have_url(f"{server}/{event_href(GERMANY_TRAINS)}")
        trains = check_event_page(page, server, GERMANY_TRAINS)

        # Similar event: the best match, followed.
        best = trains["similar"]["edges"][0]["node"]
        page.locator(".similar-item").first.get_by_role("link", name=best["headline"]).click()
        expect(page).to_have_url(f"{server}/{event_href(best['path'])}")
        similar_event = check_event_page(page, server, best["path"])

        # On this day, from the event: its month and day across the years, as the API lists them.
        month, day = int(similar_event["date"][5:7]), int(similar_event["date"][8:10])
        page.get_by_role("link", name="This day in other years").click()
        expect(page).to_have_url(f"{server}/#/on-this-day/{month:02d}-{day:02d}")
        expected = api(server, ON_THIS_DAY, month=month, day=day)["onThisDay"]
        expect(page.locator("main h1")).to_have_text(f"{day} September")
        expect(page.locator(".lede")).to_contain_text(f"{expected['totalCount']} event")
        expect(page.locator(".year-group h2")).to_have_text(["2015"])
        expect(page.locator(".year-group .event-title")).to_have_text([e["node"]["headline"] for e in expected["edges"]])

        # ... and any day from the picker (29 February exists; 3 September has the Guatemala resignation).
        picker = page.get_by_role("form", name="Pick a day of the year").first
        picker.get_by_label("Month").select_option(label="February")
        expect(picker.get_by_label("Day").locator("option")).to_have_count(29)
        picker.get_by_label("Month").select_option(label="September")
        picker.get_by_label("Day").select_option(label="3")
        picker.get_by_role("button", name="Show").click()
        expect(page).to_have_url(f"{server}/#/on-this-day/09-03")
        expect(page.locator("main h1")).to_have_text("3 September")
        third = api(server, ON_THIS_DAY, month=9, day=3)["onThisDay"]
        expect(page.locator(".year-group .event-title")).to_have_text([e["node"]["headline"] for e in third["edges"]])
        assert graphql[-1]["variables"] == {"month": 9, "day": 3, "first": 20, "after": None}

        # ... and today, the reader's own date.
        page.goto(f"{server}/#/on-this-day")
        today = page.evaluate("[new Date().getMonth() + 1, new Date().getDate()]")
        expect(page.locator(".kicker")).to_have_text("On this day · today")
        assert graphql[-1]["variables"]["month"] == today[0] and graphql[-1]["variables"]["day"] == today[1]
        expect(page.locator("main h1")).to_be_visible()

        # Trending beside the timeline: the tags that grew most in its newest week, then one followed.
        before = len(graphql)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Timeline").click()
        expect(page.locator("main h1")).to_have_text("Timeline")
        trending = api(server, TRENDING, **{"from": "2015-09-09", "to": "2015-09-15"})["trendingTags"]
        assert trending
        panel = page.get_by_role("region", name="Trending")
        expect(panel.get_by_role("list", name="Trending tags").get_by_role("link")).to_have_text(
            [trend["tag"]["name"] for trend in trending])
        expect(panel).not_to_have_attribute("aria-busy", "true")
        assert len(graphql) == before + 2  # the timeline, then its trending panel
        assert graphql[-1]["variables"] == {"from": "2015-09-09", "to": "2015-09-15", "first": 8}
        top = trending[0]["tag"]["name"]
        panel.get_by_role("link", name=top, exact=True).click()
        expect(page.locator("main h1")).to_have_text(top)
        expect(page.locator(".lede")).to_contain_text("events")
        assert not errors, errors
        assert not stray, stray
    finally:
        context.close()
