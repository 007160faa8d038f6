"""The GraphQL playground at `/graphql`: GraphiQL with the explorer plugin, every asset served by us.

The browser builds live in `static/playground/` (vendored by `tools/playground/vendor.py`, listed
with their sha256 in `static/playground/MANIFEST.json`), so the playground works offline. The page
opens one tab per example of `schema/examples/` (in a source checkout; a wheel has none), sends
queries and mutations over HTTP and subscriptions over WebSocket (graphql-transport-ws) to the URL
it was opened at, and has the headers editor, where `{"Authorization": "Bearer <token>"}` goes for
mutations. The page is served with a Content-Security-Policy that allows only this origin: its one
inline script is allowed by hash, the example data rides in a non-executable JSON block.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse

log = logging.getLogger("newsgraph")

PACKAGE = Path(__file__).resolve().parent.parent  # the package folder (gql/)
ASSETS = PACKAGE / "static" / "playground"
ASSETS_URL = "/playground/"  # where app.py's static mount serves ASSETS
EXAMPLES = PACKAGE.parent / "schema" / "examples"  # present in a source checkout, absent from a wheel

STYLESHEETS = ("graphiql/graphiql.min.css", "plugin-explorer/style.css")
SCRIPTS = (  # in load order: the UMD builds find React, ReactDOM and GraphiQL as globals
    "react/react.production.min.js",
    "react-dom/react-dom.production.min.js",
    "graphiql/graphiql.min.js",
    "plugin-explorer/index.umd.js",
)

VARIABLES_PREFIX = "# variables:"

DEFAULT_QUERY = """\
# newsgraph's GraphQL playground. Run with Ctrl-Enter or the play button.
#
# Mutations need the header {"Authorization": "Bearer <token>"} (the server's NEWSGRAPH_TOKEN):
# open "Headers" below the editor and put it there. Subscriptions run over WebSocket.

{
  stats { events }
}
"""

STYLE = """\
body { margin: 0; }
#graphiql { height: 100vh; display: flex; }
.graphiql-explorer-root select { margin-left: 4px; }
"""

# The page's only inline script. It is constant (the examples come from the JSON block), so the
# CSP allows it by its hash; no nonce and no 'unsafe-inline'.
BOOTSTRAP = """\
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("playground-config").textContent);
  var here = window.location;
  var url = here.origin + here.pathname;
  var subscriptionUrl = (here.protocol === "https:" ? "wss://" : "ws://") + here.host + here.pathname;
  var props = {
    fetcher: GraphiQL.createFetcher({ url: url, subscriptionUrl: subscriptionUrl }),
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    defaultQuery: config.defaultQuery,
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    inputValueDeprecation: true
  };
  if (config.tabs.length) {
    props.defaultTabs = config.tabs;
    // GraphiQL 3 opens the first default tab without its variables: on a first visit (no saved
    // tabs) hand them over as the initial variables; later visits restore the saved tabs instead.
    var saved = null;
    try { saved = window.localStorage.getItem("graphiql:tabState"); } catch (error) { /* no storage */ }
    if (!saved && config.tabs[0].variables) {
      props.variables = config.tabs[0].variables;
    }
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, props));
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


BOOTSTRAP_HASH = _csp_hash(BOOTSTRAP)
STYLE_HASH = _csp_hash(STYLE)
# While a dialog (settings, short keys) is open, graphiql.min.js (react-remove-scroll-bar) injects a
# <style> that locks scrolling. On this page, which never scrolls, its text is fixed (every gap 0px),
# so it is allowed by hash too. tests/test_playground.py fails on any CSP violation; after
# re-vendoring, Chrome's message names the new hash if that text changed.
SCROLL_LOCK_STYLE_HASH = "'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='"


@dataclass(frozen=True)
class Example:
    """One example query as a GraphiQL tab: its file name, text, and variables (JSON text) if any."""

    name: str
    query: str
    variables: str | None = None

    def tab(self) -> dict[str, str]:
        tab = {"query": self.query}
        if self.variables is not None:
            tab["variables"] = self.variables
        return tab


def example_variables(query: str) -> str | None:
    """The variables an example names in its `# variables: {...}` line, pretty-printed; None without one.

    Text that is not valid JSON is passed on as written, for the editor to point at.
    """
    for line in query.splitlines():
        if line.startswith(VARIABLES_PREFIX):
            text = line.removeprefix(VARIABLES_PREFIX).strip()
            try:
                return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
            except ValueError:
                return text
    return None


def read_examples(folder: Path = EXAMPLES) -> list[Example]:
    """The `*.graphql` examples of `folder`, by file name; none when the folder is absent (a wheel install)."""
    if not folder.is_dir():
        return []
    examples = []
    for path in sorted(folder.glob("*.graphql")):
        try:
            query = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            log.warning("playground: skipping the example %s: %s", path, error)
            continue
        examples.append(Example(name=path.stem, query=query, variables=example_variables(query)))
    return examples


def script_json(value: object) -> str:
    """JSON that is safe inside a <script> element: it cannot close the tag or start a comment or CDATA."""
    text = json.dumps(value, ensure_ascii=True)  # \u2028 and \u2029 come out escaped too
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def asset_integrity(folder: Path = ASSETS) -> dict[str, str]:
    """Subresource-integrity values (`sha256-<base64>`) by asset path, from the vendored MANIFEST.json.

    Read on each page load (a few kB), so a re-vendored set is served with its own values at once.
    """
    try:
        manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.warning("playground: no usable %s (%s); serving the assets without integrity checks",
                    folder / "MANIFEST.json", error)
        return {}
    return {entry["path"]: "sha256-" + base64.b64encode(bytes.fromhex(entry["sha256"])).decode("ascii")
            for entry in manifest["files"]}


def playground_html(examples: Sequence[Example], integrity: Mapping[str, str] | None = None) -> str:
    """The playground page: a pure function of the example tabs and the assets' integrity values."""
    integrity = integrity or {}

    def asset(attribute: str, path: str) -> str:
        value = integrity.get(path)
        check = f' integrity="{escape(value)}"' if value else ""
        return f'{attribute}="{escape(ASSETS_URL + path)}"{check}'

    links = "".join(f'    <link rel="stylesheet" {asset("href", path)}>\n' for path in STYLESHEETS)
    scripts = "".join(f'    <script {asset("src", path)}></script>\n' for path in SCRIPTS)
    data = script_json({"tabs": [example.tab() for example in examples], "defaultQuery": DEFAULT_QUERY})
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        "  <head>\n"
        '    <meta charset="utf-8">\n'
        '    <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "    <title>newsgraph · GraphiQL playground</title>\n"
        '    <link rel="icon" href="/favicon.svg" type="image/svg+xml">\n'
        f"{links}"
        f"    <style>{STYLE}</style>\n"
        "  </head>\n"
        "  <body>\n"
        '    <div id="graphiql" class="graphiql-container">Loading…</div>\n'
        f'    <script type="application/json" id="playground-config">{data}</script>\n'
        f"{scripts}"
        f"    <script>{BOOTSTRAP}</script>\n"
        "  </body>\n"
        "</html>\n"
    )


_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def content_security_policy(host: str | None) -> str:
    """Only this origin: scripts and styles from it (plus the page's own inline ones, by hash), its API
    over HTTP and WebSocket (`host` is the request's Host header; ws:/wss: to it are added when it is a
    plain host[:port]), fonts and images from it or inlined as data: URLs (GraphiQL's stylesheet does)."""
    connect = "'self'"
    if host and _HOST.fullmatch(host):
        connect += f" ws://{host} wss://{host}"
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {BOOTSTRAP_HASH}",
        f"style-src 'self' {STYLE_HASH} {SCROLL_LOCK_STYLE_HASH}",
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src {connect}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


async def playground_response(request: Request) -> HTMLResponse:
    """The page for a browser that opened `/graphql`, with its Content-Security-Policy."""
    examples, integrity = await asyncio.to_thread(lambda: (read_examples(), asset_integrity()))
    page = playground_html(examples, integrity)
    return HTMLResponse(page, headers={
        "content-security-policy": content_security_policy(request.headers.get("host")),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    })
