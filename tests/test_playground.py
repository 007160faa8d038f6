"""The GraphQL playground at `/graphql`: GraphiQL with the explorer plugin, served entirely by us.

In Debian's chromium, driven by Playwright, against a real `newsgraph serve` process, with every
request to any other origin aborted and recorded: the page renders (not "Loading…"), offers one tab
per example of schema/examples with its query and variables, runs a query, has the explorer plugin
and the headers editor, sends a mutation with the bearer token typed into the headers editor, and
shows what a subscription started from it (over WebSocket, graphql-transport-ws) receives, all
without a single off-origin request or Content-Security-Policy violation. Without a browser, the
vendored files are checked against their MANIFEST.json, and the page against its escaping and CSP.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsgraph.server import playground
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.browser import browser, needs_browser  # noqa: F401 - `browser` is a fixture
from tests.drivers import REPO, ApiClient, running_server

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # pragma: no cover - depends on the environment (tests.browser skips those tests)
    pass

BUNDLED_NEWS = REPO / "data" / "news"
EXAMPLES = REPO / "schema" / "examples"
ASSETS = REPO / "gql" / "static" / "playground"
VENDOR_TOOL = REPO / "tools" / "playground"
SCREENSHOTS = REPO / "tests" / "screenshots"
TOKEN = "playground test token"




SAUDI_RAID = "A Saudi-led air raid on Yemen's Al Hudaydah port reportedly kills 20 Indian nationals"
IMPORTED_HEADLINE = "Playground import over the headers editor"
IMPORTED_PATH = "/news/2015/09/3/" + IMPORTED_HEADLINE.lower().replace(" ", "-") + ".md"
IMPORT = """mutation Import($docs: [ImportDocument!]!) {
  importEvents(documents: $docs) { path event { path headline } problems { message } }
}"""
IMPORT_VARIABLES = {"docs": [{
    "path": IMPORTED_PATH.lstrip("/"),
    "markdown": f"### [2015-09-3](/news/2015/09/3/index.md)\n\n# {IMPORTED_HEADLINE} \n\nImported from the playground.\n",
}]}
SUBSCRIPTION = "subscription Changes { eventsChanged { added } }"


def _examples() -> list[tuple[str, str, Any]]:
    """(operation name, file text, variables) of each example, by file name."""
    found = []
    for path in sorted(EXAMPLES.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        name = re.search(r"^(?:query|mutation|subscription)\s+(\w+)", text, re.MULTILINE).group(1)
        line = next((line for line in text.splitlines() if line.startswith("# variables:")), None)
        found.append((name, text, json.loads(line.removeprefix("# variables:")) if line else None))
    return found


# ---------------------------------------------------------------- without a browser


def test_the_manifest_matches_the_vendored_files_and_every_package_has_its_licence() -> None:
    manifest = json.loads((ASSETS / "MANIFEST.json").read_text(encoding="utf-8"))
    files = {entry["path"]: entry for entry in manifest["files"]}
    on_disk = {p.relative_to(ASSETS).as_posix() for p in ASSETS.rglob("*") if p.is_file()} - {"MANIFEST.json"}
    assert on_disk == set(files), "MANIFEST.json and gql/static/playground/ disagree: run tools/playground/vendor.py"
    for path, entry in files.items():
        assert hashlib.sha256((ASSETS / path).read_bytes()).hexdigest() == entry["sha256"], path

    # Every folder that holds code holds the licence of each package that code comes from.
    code = {path: entry for path, entry in files.items() if "LICENSE" not in Path(path).name}
    for path, entry in code.items():
        folder = Path(path).parent
        licence = folder / "LICENSE"
        assert licence.as_posix() in files, f"{path} ({entry['package']}) has no LICENSE beside it"
        text = (ASSETS / licence).read_text(encoding="utf-8")
        assert text.startswith("MIT License") and "Permission is hereby granted" in text, licence
        assert manifest["packages"][entry["package"]]["license"] == "MIT", entry["package"]

    # The versions are the pinned ones, and npm checked each tarball against the lockfile's integrity.
    pinned = json.loads((VENDOR_TOOL / "package.json").read_text(encoding="utf-8"))["dependencies"]
    lock = json.loads((VENDOR_TOOL / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    assert {entry["package"] for entry in code.values()} == {f"{name}@{version}" for name, version in pinned.items()}
    for name, version in pinned.items():
        assert lock[f"node_modules/{name}"]["version"] == version
        assert manifest["packages"][f"{name}@{version}"]["integrity"] == lock[f"node_modules/{name}"]["integrity"]

    # The page loads exactly the vendored scripts and stylesheets.
    assert set(playground.SCRIPTS) | set(playground.STYLESHEETS) == set(code)


def test_the_page_is_same_origin_and_example_text_cannot_break_out_of_its_script() -> None:
    hostile = playground.Example(
        name="hostile",
        query='# </script><script>document.title="owned"</script> <!-- & \u2028\u2029\nquery Q { stats { events } }\n',
        variables='{"x": "</SCRIPT>"}',
    )
    page = playground.playground_html([hostile], playground.asset_integrity())
    assert page.lower().count("</script>") == 1 + len(playground.SCRIPTS) + 1  # the JSON block, the assets, the bootstrap
    assert "\u2028" not in page and "\u2029" not in page and "<!--" not in page
    block = re.search(r'<script type="application/json" id="playground-config">(.*?)</script>', page, re.DOTALL)
    assert json.loads(block.group(1))["tabs"] == [{"query": hostile.query, "variables": hostile.variables}]

    urls = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert all(f"/playground/{path}" in urls for path in playground.SCRIPTS + playground.STYLESHEETS)
    assert len(re.findall(r'integrity="sha256-[A-Za-z0-9+/]+=*"', page)) == len(playground.SCRIPTS + playground.STYLESHEETS)
    assert f"<script>{playground.BOOTSTRAP}</script>" in page and f"<style>{playground.STYLE}</style>" in page


def test_the_policy_allows_only_this_origin_and_the_page_s_own_inline_code() -> None:
    policy = playground.content_security_policy("127.0.0.1:8000")
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == f"'self' {playground.BOOTSTRAP_HASH}"
    assert directives["connect-src"] == "'self' ws://127.0.0.1:8000 wss://127.0.0.1:8000"
    assert "unsafe" not in policy and "*" not in policy and "http" not in policy
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    # A Host header cannot smuggle directives into the policy.
    for host in ("evil.example; script-src *", "a b", "", None):
        assert "connect-src 'self';" in playground.content_security_policy(host) + ";"


def test_examples_come_from_the_checkout_and_a_missing_folder_means_no_tabs(tmp_path: Path) -> None:
    examples = playground.read_examples()
    assert [(e.query, json.loads(e.variables) if e.variables else None) for e in examples] == \
        [(text, variables) for _, text, variables in _examples()]
    assert playground.read_examples(tmp_path / "not-there") == []
    page = playground.playground_html([])
    assert '"tabs": []' in page
    (tmp_path / "bad.graphql").write_text("# variables: {not json\n{ stats { events } }\n", encoding="utf-8")
    (tmp_path / "none.graphql").write_text("{ stats { events } }\n", encoding="utf-8")
    assert [(e.name, e.variables) for e in playground.read_examples(tmp_path)] == [("bad", "{not json"), ("none", None)]


def test_a_browser_s_get_of_graphql_is_the_page_with_its_policy(store: EventStore) -> None:
    api = ApiClient(create_app(store, ServerSettings(reload_interval=0)))
    response = api.request("GET", "/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == playground.content_security_policy("testserver")
    block = re.search(r'id="playground-config">(.*?)</script>', response.text, re.DOTALL)
    assert len(json.loads(block.group(1))["tabs"]) == len(_examples())
    for path in playground.SCRIPTS + playground.STYLESHEETS:
        asset = api.request("GET", f"/playground/{path}")
        assert asset.status_code == 200 and asset.content == (ASSETS / path).read_bytes(), path


# ---------------------------------------------------------------- in a browser, offline


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server over the bundled archive, with mutations on (NEWSGRAPH_TOKEN)."""
    db = tmp_path_factory.mktemp("playground") / "newsgraph.json"
    with running_server("--db", str(db), "--data", str(BUNDLED_NEWS), env={"NEWSGRAPH_TOKEN": TOKEN}) as base:
        yield base




# Records Content-Security-Policy violations in the page, from before its first script runs.
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
"""


class Playground:
    """A browser tab on /graphql that aborts and records every request to another origin."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.offsite: list[str] = []
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.sent_frames: list[str] = []
        self.sockets: list[str] = []
        page.set_default_timeout(10_000)
        page.add_init_script(RECORD_CSP)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("websocket", self._socket)
        page.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url == self.base or url.startswith(self.base + "/"):
            route.continue_()
        else:
            self.offsite.append(url)
            route.abort()

    def _socket(self, socket: Any) -> None:
        self.sockets.append(socket.url)
        socket.on("framesent", lambda payload: self.sent_frames.append(payload if isinstance(payload, str) else ""))

    def open(self) -> None:
        response = self.page.goto(self.base + "/graphql")  # a navigation: Accept: text/html
        assert response is not None and response.ok
        assert "default-src 'self'" in response.headers["content-security-policy"]
        expect(self.page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
        expect(self.page.locator("#graphiql")).not_to_contain_text("Loading")

    def editor(self, selector: str) -> str:
        """Text of the CodeMirror editor under `selector` (all of it, not just the rendered lines)."""
        return self.page.evaluate("(s) => document.querySelector(s).querySelector('.CodeMirror').CodeMirror.getValue()", selector)

    def set_editor(self, selector: str, text: str) -> None:
        self.page.evaluate("([s, t]) => document.querySelector(s).querySelector('.CodeMirror').CodeMirror.setValue(t)",
                           [selector, text])

    TOOL = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"  # the variables or headers editor shown

    def run_and_wait_for(self, text: str) -> str:
        """Click the run button; the result pane's text once it holds `text`."""
        # GraphiQL works out the operation name 100 ms (debounced) after the query text changes
        # (an edit, a tab switch): a run sooner would send the previous one. People are slower.
        self.page.wait_for_timeout(250)
        self.page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
        return self.wait_for_result(text)

    def wait_for_result(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            result = self.editor(".result-window")
            if text in result or time.monotonic() > deadline:
                assert text in result, result[:2000]
                return result
            self.page.wait_for_timeout(100)

    def check_clean(self) -> None:
        assert not self.offsite, f"requests to other origins: {self.offsite}"
        websocket = "ws://" + self.base.removeprefix("http://") + "/graphql"
        assert all(url == websocket for url in self.sockets), self.sockets  # page.route does not see these
        assert not self.page_errors, self.page_errors
        # 401 answers (the mutation without a token) are logged by the browser; nothing else may be.
        assert not [m for m in self.console_errors if "status of 401" not in m], self.console_errors
        assert self.page.evaluate("window.__cspViolations") == []


@contextlib.contextmanager
def _playground(browser: Browser, server: str) -> Iterator[Playground]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
    try:
        tab = Playground(context.new_page(), server)
        tab.open()
        yield tab
        tab.check_clean()
    finally:
        context.close()


@needs_browser
def test_the_playground_renders_offline_with_the_examples_as_tabs(browser: Browser, server: str) -> None:
    with _playground(browser, server) as tab:
        page = tab.page
        examples = _examples()

        # One tab per example, in file order; the first is open, with its variables, and runs as it is:
        # the event from the archive.
        expect(page.get_by_role("tab")).to_contain_text([name for name, _, _ in examples])
        expect(page.get_by_role("tab").first).to_have_class(re.compile("graphiql-tab-active"))
        result = json.loads(tab.run_and_wait_for(SAUDI_RAID))
        event = result["data"]["event"]
        assert event["headline"].startswith(SAUDI_RAID) and event["date"] == "2015-09-08", event
        assert any(tag["name"] == "Yemen" for tag in event["tags"]), event["tags"]

        # Each tab holds its file's text and the variables of its `# variables:` line.
        for index, (name, text, variables) in enumerate(examples):
            page.get_by_role("tab").nth(index).click()
            expect(page.get_by_role("tab").nth(index)).to_have_class(re.compile("graphiql-tab-active"))
            assert tab.editor(".graphiql-query-editor") == text, name
            shown = tab.editor(tab.TOOL)
            assert (json.loads(shown) if shown.strip() else None) == variables, name

        # The explorer plugin, fed by the schema (introspection over the same origin).
        page.get_by_role("button", name="Show GraphiQL Explorer").click()
        explorer = page.locator(".graphiql-explorer-root")
        expect(explorer).to_be_visible()
        for field in ("event", "events", "search", "stats", "tag"):  # the schema's root fields
            expect(explorer.get_by_text(field, exact=True).first).to_be_visible()
        expect(explorer.get_by_role("combobox").get_by_role("option")).to_have_text(["Query", "Mutation", "Subscription"])

        # The headers editor, where the bearer token goes.
        page.get_by_role("button", name="Headers", exact=True).click()
        expect(page.get_by_role("region", name="Headers")).to_be_visible()
        tab.set_editor(tab.TOOL, '{"Authorization": "Bearer x"}')
        assert tab.editor(tab.TOOL) == '{"Authorization": "Bearer x"}'

        # A dialog (which injects a scroll-lock <style>) opens without a policy violation.
        page.get_by_role("button", name="Open settings dialog").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        page.keyboard.press("Escape")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "playground.png"))


@needs_browser
def test_without_examples_one_tab_holds_the_default_query(browser: Browser, server: str) -> None:
    """As from a wheel, where schema/examples is absent: the page with no example tabs."""
    page_without_examples = playground.playground_html([], playground.asset_integrity())
    policy = playground.content_security_policy(server.removeprefix("http://"))

    def serve_page(route: Any) -> None:
        if route.request.resource_type == "document":
            route.fulfill(status=200, body=page_without_examples,
                          headers={"content-type": "text/html; charset=utf-8", "content-security-policy": policy})
        else:
            route.fallback()

    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
    try:
        tab = Playground(context.new_page(), server)
        tab.page.route(server + "/graphql", serve_page)
        tab.open()
        expect(tab.page.get_by_role("button", name="Add tab")).to_be_visible()
        expect(tab.page.get_by_role("tab")).to_have_count(0)  # GraphiQL lists tabs only when there are two
        assert tab.editor(".graphiql-query-editor") == playground.DEFAULT_QUERY
        assert tab.editor(tab.TOOL) == ""
        assert json.loads(tab.run_and_wait_for('"events"'))["data"]["stats"]["events"] >= 214
        tab.check_clean()
    finally:
        context.close()


@needs_browser
def test_a_mutation_with_the_token_in_the_headers_editor_reaches_a_subscription(browser: Browser, server: str) -> None:
    with _playground(browser, server) as watcher, _playground(browser, server) as writer:
        # Subscribe from one playground: a new tab with the subscription, run.
        watcher.page.get_by_role("button", name="Add tab").click()
        watcher.set_editor(".graphiql-query-editor", SUBSCRIPTION)
        watcher.page.wait_for_timeout(250)  # see run_and_wait_for
        watcher.page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
        deadline = time.monotonic() + 10
        while not any('"subscribe"' in frame for frame in watcher.sent_frames):
            assert time.monotonic() < deadline, (watcher.sockets, watcher.sent_frames)
            watcher.page.wait_for_timeout(50)
        host = server.removeprefix("http://")
        assert watcher.sockets == [f"ws://{host}/graphql"]  # graphql-transport-ws: "subscribe", not "start"
        watcher.page.wait_for_timeout(300)  # the server registers the subscriber as it starts the operation

        # Import from another: refused without the token, done with it in the headers editor.
        writer.page.get_by_role("button", name="Add tab").click()
        writer.set_editor(".graphiql-query-editor", IMPORT)
        writer.set_editor(writer.TOOL, json.dumps(IMPORT_VARIABLES))
        refused = json.loads(writer.run_and_wait_for("UNAUTHENTICATED"))
        assert refused.get("data") is None and refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused
        writer.page.get_by_role("button", name="Headers", exact=True).click()
        writer.set_editor(writer.TOOL, json.dumps({"Authorization": f"Bearer {TOKEN}"}))
        imported = json.loads(writer.run_and_wait_for(IMPORTED_PATH))
        assert imported["data"]["importEvents"] == [{
            "path": IMPORTED_PATH.lstrip("/"), "problems": [],
            "event": {"path": IMPORTED_PATH, "headline": IMPORTED_HEADLINE}}]

        # The subscription shows the change.
        change = json.loads(watcher.wait_for_result(IMPORTED_PATH))
        assert change == {"data": {"eventsChanged": {"added": [IMPORTED_PATH]}}}
