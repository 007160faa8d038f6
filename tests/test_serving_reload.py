"""A load replaces the store under a running server: it switches archives without a restart or one failed request.

A real uvicorn process (`newsgraph serve`) answers concurrent clients while
`newsgraph load` adds events and then a `--prune` load removes some. Every
response must be a 200 without errors, and each must be consistent in itself:
`stats.events` and `events.totalCount` come from one archive snapshot, so they
agree even when a swap happens during the request.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from bench.corpus import generate_events, write_archive
from newsgraph.load import load_files
from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS
from tests.drivers import newsgraph, running_server

pytestmark = pytest.mark.slow

ADDED = 400
CLIENTS = 6

CHECK = """{ stats { events } events(first: 100) { totalCount edges { node { path headline tags { name }
  related { path event { path } } sources { name url } } } } }"""
HEAVY = """{ events(first: 100) { totalCount edges { node { path summaryHtml
  relatedBy(first: 20) { totalCount edges { node { path tags { name eventCount } } } }
  tags { name events(first: 20) { totalCount edges { node { path } } } } } } } }"""


class Clients:
    """CLIENTS threads posting queries until stopped; every response is checked, every event count recorded."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.seen: list[tuple[float, int]] = []  # (when the request was sent, stats.events)
        self.requests = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(index,)) for index in range(CLIENTS)]

    def run(self, index: int) -> None:
        query = HEAVY if index == 0 else CHECK  # one client keeps long requests in flight across the swaps
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    sent = time.monotonic()
                    response = client.post("/graphql", json={"query": query})
                    self.check(response, sent)
                except Exception as error:  # noqa: BLE001 - any failure is what the test counts
                    with self.lock:
                        self.failures.append(f"{type(error).__name__}: {error}")

    def check(self, response: httpx.Response, sent: float) -> None:
        body = response.json() if response.status_code == 200 else None
        with self.lock:
            self.requests += 1
            if body is None or body.get("errors"):
                self.failures.append(f"{response.status_code}: {response.text[:300]}")
                return
            data = body["data"]
            if "stats" in data:
                if data["stats"]["events"] != data["events"]["totalCount"]:
                    self.failures.append(f"mixed snapshot: {data['stats']['events']} vs {data['events']['totalCount']}")
                self.seen.append((sent, data["stats"]["events"]))

    def counts_since(self, moment: float) -> set[int]:
        """Event counts answered to requests sent after `moment`."""
        with self.lock:
            return {count for when, count in self.seen if when >= moment}

    def wait_for(self, count: int, timeout: float = 30) -> float:
        """Wait for a response with `count` events; the moment it had arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any(seen == count for _when, seen in self.seen[-CLIENTS * 4:]):
                    return time.monotonic()
            time.sleep(0.05)
        raise AssertionError(f"the server never answered with {count} events; last seen {self.seen[-3:]}")


def test_loads_under_a_running_server_switch_archives_without_a_failed_request(tmp_path: Path) -> None:
    db = tmp_path / "newsgraph.json"
    assert load_files(EventStore(db), [BUNDLED_NEWS]).rejected == 0
    bundled = len(EventStore(db).documents())
    extra = tmp_path / "extra"
    write_archive(generate_events(ADDED, seed=11), extra)

    # HEAVY is costed 258,703 fields (each event's tags at the 30 an event may hold): over the default limit
    with running_server("--db", str(db), "--data", str(tmp_path / "no-such-dir"), "--max-cost", "300000") as base:
        health_before = httpx.get(base + "/healthz").json()
        clients = Clients(base)
        for thread in clients.threads:
            thread.start()
        try:
            clients.wait_for(bundled)
            added = newsgraph("load", "--db", str(db), str(extra), "--quiet")
            assert added.returncode == 0, added.stderr
            loaded_at = clients.wait_for(bundled + ADDED)

            removed_files = sorted(extra.rglob("*.md"))[::2]
            for file in removed_files:
                file.unlink()
            pruned = newsgraph("load", "--db", str(db), str(extra), "--prune", "--quiet")
            assert pruned.returncode == 0, pruned.stderr
            pruned_at = clients.wait_for(bundled + ADDED - len(removed_files))
            time.sleep(0.5)  # a little more traffic on the final archive
        finally:
            clients.stop.set()
            for thread in clients.threads:
                thread.join(timeout=60)
        health = httpx.get(base + "/healthz").json()

    assert clients.failures == [], clients.failures[:5]
    print(f"\n{clients.requests} requests by {CLIENTS} clients, 0 failed; event counts seen {sorted({c for _s, c in clients.seen})}")
    assert clients.requests > 50
    # Once a response came from a new archive, no request sent after it was answered from an older one.
    assert clients.counts_since(pruned_at) == {bundled + ADDED - len(removed_files)}
    assert bundled not in clients.counts_since(loaded_at)
    assert health["events"] == bundled + ADDED - len(removed_files)
    assert health["loadedAt"] > health_before["loadedAt"]  # the same process swapped its archive: no restart
