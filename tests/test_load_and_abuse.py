"""A real server under bounded, concurrent, mixed traffic: what a public endpoint meets on an ordinary day.

Four clients send, for a few seconds each, a mix of the explorer's queries, heavy queries that the limits allow,
and abuse (cost bombs, oversized batches and bodies, invalid JSON and UTF-8, lone surrogates, malformed WebSocket
messages), while `newsgraph load` rewrites the store again and again. The promises (docs/guarantees.md):
no request gets a 5xx, the log has no traceback, `/healthz` answers within HEALTHZ_P99 at the 99th percentile, and
the server's memory stays flat across reloads.
"""

from __future__ import annotations

import json
import random
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import BUNDLED_NEWS, REPO
from tests.drivers import example, newsgraph, server_process
from tests.test_abuse import CONNECTION_BOMBS

pytestmark = pytest.mark.slow

CLIENTS = 4
SECONDS = 6.0
RELOADS = 6
HEALTHZ_P99 = 0.5  # seconds; /healthz answers in milliseconds when idle
RSS_GROWTH = 25 * 1024 * 1024  # bytes the server may grow by over the reloads after the first (noise, caches)
EXAMPLES = sorted((REPO / "schema" / "examples").glob("*.graphql"))
HEAVY = "{ events(first: 100) { edges { node { headline sources { url } relatedBy(first: 10) { totalCount " \
        "edges { node { headline tags { name eventCount } } } } } } } }"


def _example(path: Path) -> dict:
    text, variables = example(path)
    return {"query": text, "variables": variables}


def _requests(client: httpx.Client, url: str) -> list[Callable[[], int]]:
    """Each a request of the mix, returning its status."""
    examples = [_example(path) for path in EXAMPLES]
    return [
        *[lambda body=body: client.post("/graphql", json=body).status_code for body in examples],
        lambda: client.get("/graphql", params={"query": "{ stats { events tags } }"}).status_code,
        lambda: client.post("/graphql", json={"query": HEAVY}).status_code,
        lambda: client.post("/graphql", json={"query": CONNECTION_BOMBS}).status_code,
        lambda: client.post("/graphql", json=[{"query": "{ stats { events } }"}] * 11).status_code,
        lambda: client.post("/graphql", content=b"\x00\xff{{{", headers={"content-type": "application/json"}).status_code,
        lambda: client.post("/graphql", content='{"query": "{ event(path: \\"\\ud800\\") { path } }"}',
                            headers={"content-type": "application/json"}).status_code,
        lambda: client.post("/graphql", content=b"x" * 1_200_000, headers={"content-type": "application/json"}).status_code,
        lambda: _socket_garbage(url),
    ]


def _socket_garbage(url: str) -> int:
    with connect(url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        socket.send(json.dumps({"type": "connection_init"}))
        socket.recv(timeout=10)
        socket.send('{"id": "1", "type": "subscribe", "payload": null}')
        try:
            socket.recv(timeout=10)
        except Exception as closed:  # noqa: BLE001 - the close is the answer
            code = getattr(getattr(closed, "rcvd", None), "code", None)
            return 400 if code == 4400 else 500
    return 500


def test_mixed_traffic_with_reloads_gets_no_5xx_and_healthz_stays_quick(tmp_path: Path) -> None:
    data = tmp_path / "news"
    shutil.copytree(BUNDLED_NEWS, data)
    db = tmp_path / "store.json"
    assert newsgraph("load", "--db", str(db), str(data)).returncode == 0
    statuses: list[int] = []
    healthz: list[float] = []
    with server_process("--db", str(db), "--data", str(tmp_path / "none")) as server:
        stop = threading.Event()

        def client(seed: int) -> None:
            random.seed(seed)
            with httpx.Client(base_url=server.url, timeout=30) as http:
                mix = _requests(http, server.url)
                ends = time.monotonic() + SECONDS
                while time.monotonic() < ends:
                    statuses.append(random.choice(mix)())

        def sample_healthz() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                while not stop.is_set():
                    started = time.monotonic()
                    assert http.get("/healthz").status_code == 200
                    healthz.append(time.monotonic() - started)
                    time.sleep(0.05)

        def reload_again_and_again() -> list[int]:
            sizes = []
            day = data / "2015" / "09" / "1"
            parked = tmp_path / "parked"
            for round_ in range(RELOADS):
                shutil.move(str(day), parked) if round_ % 2 == 0 else shutil.move(str(parked), day)
                assert newsgraph("load", "--db", str(db), "--prune", str(data)).returncode == 0
                time.sleep(1.5)  # the server's store poll (1 s) and its reload
                sizes.append(server.rss_bytes())
            return sizes

        threads = [threading.Thread(target=client, args=(seed,)) for seed in range(CLIENTS)]
        sampler = threading.Thread(target=sample_healthz)
        for thread in [*threads, sampler]:
            thread.start()
        rss = reload_again_and_again()
        for thread in threads:
            thread.join()
        stop.set()
        sampler.join()
        log = server.log()

    healthz.sort()
    print(f"{len(statuses)} requests, statuses {sorted(set(statuses))}; /healthz n={len(healthz)} "
          f"p50={healthz[len(healthz) // 2]:.3f}s p99={healthz[int(len(healthz) * 0.99)]:.3f}s; "
          f"RSS MiB over reloads {[size // 2**20 for size in rss]}")  # shown with pytest -s
    assert statuses and all(status < 500 for status in statuses), sorted(set(statuses))
    assert {200, 400, 413} <= set(statuses)
    assert healthz[int(len(healthz) * 0.99)] < HEALTHZ_P99, healthz[-5:]
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-3000:]
    assert max(rss[1:]) - rss[1] < RSS_GROWTH, [size // 1024 // 1024 for size in rss]
