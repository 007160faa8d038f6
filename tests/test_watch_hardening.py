"""`serve --watch` facing what kills or undoes it, in real server processes: a file name that is not UTF-8
(watchfiles raises and its watch ends), and mutations of events whose files the watch follows."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from newsgraph.parse import parse_event
from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS
from tests.drivers import running_server, server_process

pytestmark = pytest.mark.slow

TOKEN = "a token for the watched server"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WAIT = 20.0  # seconds: the watcher's load, then the server's 1 s store poll
EVENT = "query($path: String!) { event(path: $path) { headline summary } }"
IMPORT = """mutation($docs: [ImportDocument!]!) {
  importEvents(documents: $docs) { path event { path } problems { message severity } } }"""
DELETE = "mutation($path: String!) { deleteEvent(path: $path) { path deleted } }"


def _day(day: int, root: Path) -> Path:
    shutil.copytree(BUNDLED_NEWS / "2015" / "09" / str(day), root / "2015" / "09" / str(day))
    return root


def _path_of(file: Path) -> str:
    return parse_event(file.read_text(encoding="utf-8"), str(file)).event.path


def _graphql(base: str, query: str, variables: dict) -> dict:
    return httpx.post(base + "/graphql", json={"query": query, "variables": variables}, headers=AUTH,
                      timeout=30).json()


def _event(base: str, path: str) -> dict | None:
    return _graphql(base, EVENT, {"path": path})["data"]["event"]


def _wait(check: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _markdown(headline: str) -> str:
    return f"### [2015-09-6](/news/2015/09/6/index.md)\n\n# {headline} \n\nImported over HTTP.\n"


def test_a_file_name_that_is_not_utf8_does_not_end_the_watch(tmp_path: Path) -> None:
    """watchfiles raises on such a name and its watch ends: ours is started again and keeps loading.

    One such file is there before the server starts (its first load must not die of it), another comes after.
    """
    data = _day(6, tmp_path / "news")
    source = sorted((BUNDLED_NEWS / "2015" / "09" / "7").glob("*.md"))[0]
    good = len(list(data.rglob("*.md")))
    with open(os.path.join(os.fsencode(data), b"na\xefve.md"), "wb") as handle:
        handle.write(_markdown("A naive file name in Latin-1").encode())
    with server_process("--db", str(tmp_path / "store.json"), "--data", str(data), "--watch") as server:
        base = server.url
        assert f"loaded {data}: {good} loaded, 1 rejected" in server.log()
        with open(os.path.join(os.fsencode(data), b"caf\xe9.md"), "wb") as handle:
            handle.write(_markdown("A cafe whose file name is Latin-1").encode())
        _wait(lambda: "(WatchfilesRustInternalError" in server.log(), "the watch never met the name")
        shutil.copyfile(source, data / source.name)
        _wait(lambda: _event(base, _path_of(source)) is not None, "a file added after the bad name never loaded")
        assert httpx.get(base + "/healthz", timeout=10).json()["status"] == "ok"
        log = server.log()
    assert f"watch: watching {data} failed (WatchfilesRustInternalError: " in log and "; watching again in 1 s" in log
    assert f"error: '{data}/caf\\xe9.md':1: the file's name (or its directory's) is not UTF-8" in log


def test_mutations_leave_the_events_of_watched_files_to_their_files(tmp_path: Path) -> None:
    data = _day(6, tmp_path / "news")
    db = tmp_path / "store.json"
    watched = sorted(data.rglob("*.md"))[0]
    path = _path_of(watched)
    imported = "/news/2015/09/6/an-event-imported-under-watch.md"
    touched = sorted(data.rglob("*.md"))[1]

    def reload_from_a_file_change(base: str) -> None:
        before = httpx.get(base + "/healthz", timeout=10).json()["loadedAt"]
        touched.write_text(touched.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        _wait(lambda: httpx.get(base + "/healthz", timeout=10).json()["loadedAt"] != before, "no reload")

    with running_server("--db", str(db), "--data", str(data), "--watch", env={"NEWSGRAPH_TOKEN": TOKEN}) as base:
        refused = _graphql(base, DELETE, {"path": path})
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "WATCHED_FILE"
        assert f"{path} is read from {watched.resolve()}" in refused["errors"][0]["message"]

        answer = _graphql(base, IMPORT, {"docs": [
            {"path": "over-the-file.md", "markdown": watched.read_text(encoding="utf-8").replace(
                "### Source", "Changed over HTTP.\n\n### Source", 1)},
            {"path": "new.md", "markdown": _markdown("An event imported under watch")},
        ]})["data"]["importEvents"]
        assert answer[0]["event"] is None
        assert answer[0]["problems"][-1] == {"severity": "ERROR", "message": (
            f"{path} is read from {watched.resolve()}, which this server watches (serve --watch) and reloads: "
            f"change or delete that file instead")}
        assert answer[1]["event"] == {"path": imported}

        reload_from_a_file_change(base)
        assert "Changed over HTTP" not in _event(base, path)["summary"]  # the file's event, as the file says
        assert _event(base, imported)["headline"] == "An event imported under watch"  # an import with no file stays

        assert _graphql(base, DELETE, {"path": imported})["data"]["deleteEvent"] == {"path": imported, "deleted": True}
        reload_from_a_file_change(base)
        assert _event(base, imported) is None  # and a deletion of it stays too
    assert path in {document["path"] for document in EventStore(db).documents()}
