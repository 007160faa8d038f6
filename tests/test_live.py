"""Live updates against real processes: a store rewritten by `newsgraph load`, `serve --watch`, and the
`eventsChanged` subscription over a real WebSocket (graphql-transport-ws)."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from newsgraph.archive import Archive
from newsgraph.archive.changes import ArchiveChange, ChangeFeed, diff_archives
from newsgraph.parse import parse_event
from tests.conftest import BUNDLED_NEWS
from tests.drivers import newsgraph, running_server

pytestmark = pytest.mark.slow

SUBSCRIBE = "subscription { eventsChanged { added changed removed } }"
MESSAGE_TIMEOUT = 20.0  # seconds: a load process starting, plus the server's 1 s store poll


def _paths(directory: Path) -> list[str]:
    return sorted(parse_event(p.read_text(encoding="utf-8"), str(p)).event.path for p in directory.rglob("*.md"))


def _copy_day(day: int, target: Path) -> Path:
    shutil.copytree(BUNDLED_NEWS / "2015" / "09" / str(day), target / "2015" / "09" / str(day))
    return target


async def _receive(socket: ClientConnection, kind: str) -> dict[str, Any]:
    """The next message of a type, skipping keep-alive pings; fails after MESSAGE_TIMEOUT."""
    async with asyncio.timeout(MESSAGE_TIMEOUT):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == "ping":
                await socket.send(json.dumps({"type": "pong"}))
                continue
            assert message["type"] == kind, message
            return message


async def _subscribe(base: str) -> ClientConnection:
    socket = await connect(base.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"])
    await socket.send(json.dumps({"type": "connection_init"}))
    await _receive(socket, "connection_ack")
    await socket.send(json.dumps({"id": "live", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    await socket.send(json.dumps({"type": "ping"}))  # answered after the subscription has started
    await _receive(socket, "pong")
    return socket


async def _next_change(socket: ClientConnection) -> dict[str, list[str]]:
    message = await _receive(socket, "next")
    assert message["id"] == "live" and "errors" not in message["payload"], message
    return message["payload"]["data"]["eventsChanged"]


def _event_count(base: str) -> int:
    body = httpx.post(base + "/graphql", json={"query": "{ stats { events } }"}, timeout=10).json()
    return body["data"]["stats"]["events"]


def test_the_diff_of_two_archives_compares_events_by_path_and_content() -> None:
    old = Archive.from_documents(_documents(4))
    events = dict(old.events)
    first, second = sorted(events)[:2]
    events[first] = events[first].__class__(**{**events[first].__dict__, "summary": "changed"})
    del events[second]
    new_day = Archive.from_documents(_documents(5))
    new = Archive([*events.values(), *new_day.events.values()])
    assert diff_archives(old, new) == ArchiveChange(added=tuple(sorted(new_day.events)), changed=(first,), removed=(second,))
    assert not diff_archives(old, Archive(old.events.values()))


def test_the_feed_delivers_from_other_threads_in_order_and_forgets_departed_subscribers() -> None:
    feed = ChangeFeed(backlog=4)
    changes = [ArchiveChange(added=(f"/news/{n}.md",)) for n in range(3)]

    async def scenario() -> None:
        received: list[ArchiveChange] = []

        async def listen() -> None:
            async for change in feed.subscribe():
                received.append(change)
                if len(received) == len(changes):
                    return

        listener = asyncio.create_task(listen())
        while not feed.subscribers:
            await asyncio.sleep(0)
        publisher = threading.Thread(target=lambda: [feed.publish(change) for change in changes])
        publisher.start()
        await asyncio.wait_for(listener, MESSAGE_TIMEOUT)
        publisher.join()
        assert received == changes and feed.subscribers == 0

        lagging = feed.subscribe()  # subscribed, never read: dropped once more than `backlog` changes wait
        waiting = asyncio.create_task(anext(lagging))
        await asyncio.sleep(0)
        for n in range(6):
            feed.publish(ArchiveChange(removed=(f"/news/{n}.md",)))
        await asyncio.sleep(0.05)
        assert feed.subscribers == 0
        with pytest.raises(StopAsyncIteration):  # it missed changes: its stream ends instead of going on stale
            await waiting

    asyncio.run(scenario())


def _documents(day: int) -> list[dict]:
    from newsgraph.store import event_to_document

    files = sorted((BUNDLED_NEWS / "2015" / "09" / str(day)).glob("*.md"))
    return [event_to_document(parse_event(f.read_text(encoding="utf-8"), str(f)).event) for f in files]


def test_subscribers_hear_what_a_load_in_another_process_added_changed_and_removed(tmp_path: Path) -> None:
    data = _copy_day(4, tmp_path / "news")
    incoming = _copy_day(5, tmp_path / "incoming")
    db = tmp_path / "store.json"
    start_count = len(_paths(data))

    async def scenario(base: str) -> None:
        socket = await _subscribe(base)
        try:
            loaded = await asyncio.to_thread(newsgraph, "load", "--db", str(db), str(incoming))
            assert loaded.returncode == 0, loaded.stderr
            change = await _next_change(socket)
            assert change == {"added": _paths(incoming), "changed": [], "removed": []}
            assert await asyncio.to_thread(_event_count, base) == start_count + len(change["added"])

            edited, gone = sorted(incoming.rglob("*.md"))[:2]
            edited_path, gone_path = _paths_of(edited), _paths_of(gone)
            edited.write_text(edited.read_text(encoding="utf-8").replace("### Source", "A new line.\n\n### Source", 1),
                              encoding="utf-8")
            gone.unlink()
            pruned = await asyncio.to_thread(newsgraph, "load", "--db", str(db), "--prune", str(incoming))
            assert pruned.returncode == 0, pruned.stderr
            assert await _next_change(socket) == {"added": [], "changed": [edited_path], "removed": [gone_path]}
        finally:
            await socket.close()

    with running_server("--db", str(db), "--data", str(data)) as base:
        asyncio.run(scenario(base))


def _paths_of(file: Path) -> str:
    return parse_event(file.read_text(encoding="utf-8"), str(file)).event.path


def test_serve_watch_loads_new_and_removed_files_without_a_restart(tmp_path: Path) -> None:
    data = _copy_day(6, tmp_path / "news")
    db = tmp_path / "store.json"
    source = sorted((BUNDLED_NEWS / "2015" / "09" / "7").glob("*.md"))[0]
    path = _paths_of(source)
    query = {"query": "query($path: String!) { event(path: $path) { path } }", "variables": {"path": path}}

    def wait_for(base: str, present: bool) -> None:
        deadline = time.monotonic() + MESSAGE_TIMEOUT
        while True:
            event = httpx.post(base + "/graphql", json=query, timeout=10).json()["data"]["event"]
            if (event is not None) == present:
                return
            assert time.monotonic() < deadline, f"{path} {'never appeared' if present else 'never went away'}"
            time.sleep(0.2)

    with running_server("--db", str(db), "--data", str(data), "--watch") as base:
        before = _event_count(base)
        target = data / "2015" / "09" / "7" / source.name
        target.parent.mkdir(parents=True)
        shutil.copyfile(source, target)
        wait_for(base, present=True)
        assert _event_count(base) == before + 1
        target.unlink()
        wait_for(base, present=False)
        assert _event_count(base) == before
