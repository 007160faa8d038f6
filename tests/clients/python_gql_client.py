"""The PyPI GraphQL client `gql` against a running `newsgraph serve`; run by tests/test_clients.py.

Run as a script from a neutral working directory, never imported by pytest: the repository root has a folder
named `gql/` (newsgraph's own package), and with the root on sys.path `import gql` would find that folder instead
of the client. A script's own folder (tests/clients/) goes first on sys.path, and it holds no `gql`.

    python tests/clients/python_gql_client.py http|websocket|side-by-side

reads NEWSGRAPH_URL and NEWSGRAPH_TOKEN, prints one JSON line of what it checked, and exits non-zero (with a
traceback that says what the server answered) when a check fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

NESTED = """
query PythonNested($first: Int!) {
  events(first: $first) {
    totalCount
    edges {
      node {
        id path headline date
        sources { name url domain publisher { name eventCount } }
        related { path headline event { path headline tags { name slug eventCount } } }
        tags { name }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

SUBSCRIBE = "subscription PythonChanges { eventsChanged { added changed removed } }"

IMPORT = """
mutation PythonImport($documents: [ImportDocument!]!) {
  importEvents(documents: $documents) { path event { path } problems { message severity } }
}
"""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _client_module_is_the_pypi_one() -> None:
    import gql

    location = Path(gql.__file__).resolve()
    _check("site-packages" in location.parts, f"`import gql` found {location}, not the installed client")


def check_http(base: str) -> dict[str, Any]:
    from gql.transport.httpx import HTTPXTransport

    from gql import Client, gql

    _client_module_is_the_pypi_one()
    transport = HTTPXTransport(url=base + "/graphql", timeout=30)
    with Client(transport=transport, fetch_schema_from_transport=True) as session:
        client = session.client
        schema = client.schema
        _check(schema is not None and "Event" in schema.type_map, "the schema was not fetched by introspection")
        result = session.execute(gql(NESTED), variable_values={"first": 20})
    events = result["events"]
    nodes = [edge["node"] for edge in events["edges"]]
    _check(len(nodes) == 20 and events["totalCount"] >= 20, f"expected 20 events: {json.dumps(events)[:500]}")
    resolved = [related for node in nodes for related in node["related"] if related["event"]]
    _check(bool(resolved), "no related link of the first 20 events resolved to an event")
    _check(all(related["event"]["path"] == related["path"] for related in resolved), "related paths disagree")
    _check(any(related["event"]["tags"] for related in resolved), "no related event has tags")
    _check(all(source["url"] for node in nodes for source in node["sources"]), "a source without a url")

    # gql validates against the fetched schema before sending: a wrong field never reaches the server.
    from graphql import GraphQLError

    session_error = None
    try:
        with Client(transport=HTTPXTransport(url=base + "/graphql", timeout=30),
                    fetch_schema_from_transport=True) as session:
            session.execute(gql("{ events(first: 1) { edges { node { noSuchField } } } }"))
    except GraphQLError as error:
        session_error = str(error)
    _check(session_error is not None and "noSuchField" in session_error,
           f"a query the schema does not allow was not refused locally: {session_error}")
    return {"events": len(nodes), "resolved_related": len(resolved), "types": len(schema.type_map)}


def _markdown(headline: str) -> str:
    slug = "-".join("".join(c if c.isalnum() else " " for c in headline.lower()).split())
    return (f"### [2015-09-3](/news/2015/09/3/index.md)\n\n# {headline}\n\n"
            f"A summary line written by the Python gql client test.\n\n### Source:\n\n"
            f"1. [Example News](https://example.com/compat/{slug})\n")


async def check_websocket(base: str, token: str) -> dict[str, Any]:
    from gql.transport.httpx import HTTPXAsyncTransport
    from gql.transport.websockets import WebsocketsTransport

    from gql import Client, gql

    _client_module_is_the_pypi_one()
    ws = WebsocketsTransport(
        url=base.replace("http://", "ws://", 1) + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        connect_timeout=10, close_timeout=5, ack_timeout=10,
    )
    http = HTTPXAsyncTransport(url=base + "/graphql", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    changes: list[dict[str, Any]] = []
    imported: list[str] = []
    heard = asyncio.Event()

    async with Client(transport=ws) as subscriber, Client(transport=http) as writer:
        _check(ws.subprotocol == WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL,
               f"the server chose the subprotocol {ws.subprotocol!r}")

        async def listen() -> None:
            async for result in subscriber.subscribe(gql(SUBSCRIBE)):
                change = result["eventsChanged"]
                changes.append(change)
                if set(change["added"]) & set(imported):
                    heard.set()
                    return

        listener = asyncio.create_task(listen())
        try:
            # No message tells a client its subscription has started: import, wait, import another, wait longer.
            for attempt, wait in enumerate([0.4, 0.8, 1.6, 3.2, 10.0], 1):
                headline = f"Compat python gql {time.time_ns()} {secrets.token_hex(4)} {attempt} imports an event."
                document = {"path": "news/2015/09/3/python-gql.md", "markdown": _markdown(headline)}
                answer = await writer.execute(gql(IMPORT), variable_values={"documents": [document]})
                path = answer["importEvents"][0]["event"] and answer["importEvents"][0]["event"]["path"]
                _check(bool(path), f"importEvents stored nothing: {json.dumps(answer)}")
                imported.append(path)
                if set(path for change in changes for path in change["added"]) & set(imported):
                    heard.set()
                try:
                    await asyncio.wait_for(asyncio.shield(heard.wait()), wait)
                    break
                except TimeoutError as waited:
                    if listener.done():
                        listener.result()  # the subscription ended or failed: raise what it raised
                        raise AssertionError(f"the subscription ended without the change; changes: {changes}") from waited
            _check(heard.is_set(), f"no eventsChanged named {imported}; changes seen: {changes}")
        finally:
            listener.cancel()
            try:
                await listener
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - already judged above
                pass
    return {"imported": imported, "changes": changes}


def check_side_by_side() -> dict[str, Any]:
    import gql
    import newsgraph

    _client_module_is_the_pypi_one()
    _check(callable(gql.Client) and callable(gql.gql), "gql.Client / gql.gql missing")
    _check(hasattr(newsgraph, "Newsgraph"), "newsgraph.Newsgraph missing")
    client_files = {str(path) for path in metadata.files("gql") or ()}
    our_files = {str(path) for path in metadata.files("newsgraph") or ()}
    _check(bool(client_files) and bool(our_files), "a distribution lists no files")
    shared = client_files & our_files
    _check(not shared, f"gql and newsgraph install the same paths: {sorted(shared)[:10]}")
    _check(not any(path.startswith("gql/") for path in our_files),
           f"newsgraph installs files under gql/: {sorted(p for p in our_files if p.startswith('gql/'))[:10]}")
    top_level = (metadata.distribution("newsgraph").read_text("top_level.txt") or "").split()
    _check("gql" not in top_level, f"newsgraph declares the top-level name gql: {top_level}")
    script = Path(sys.executable).with_name("newsgraph")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "newsgraph"]
    helped = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60)
    _check(helped.returncode == 0 and "serve" in helped.stdout,
           f"`newsgraph --help` failed ({helped.returncode}): {helped.stdout}{helped.stderr}")
    return {"gql": metadata.version("gql"), "gql_file": gql.__file__, "newsgraph_file": newsgraph.__file__,
            "newsgraph_files": len(our_files), "gql_files": len(client_files)}


def main() -> None:
    mode = sys.argv[1]
    if mode == "side-by-side":
        outcome = check_side_by_side()
    else:
        base = os.environ["NEWSGRAPH_URL"].rstrip("/")
        if mode == "http":
            outcome = check_http(base)
        elif mode == "websocket":
            outcome = asyncio.run(check_websocket(base, os.environ["NEWSGRAPH_TOKEN"]))
        else:
            raise SystemExit(f"unknown mode {mode!r}: http, websocket or side-by-side")
    print(json.dumps({"mode": mode, **outcome}))


if __name__ == "__main__":
    main()
