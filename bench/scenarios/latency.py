"""latency: p50/p95/p99 of the four query kinds against a real one-worker server, sequentially.

One client (httpx, keep-alive) in the benchmark process asks each query with its
drawn variables one after another; the figure is the growth from the smallest to
the largest archive. The servers of every size run at once and are asked in turns
(ROUNDS rounds, the order of sizes reversed every other round), so the machine's
drift over the minutes of a run falls on every size alike. The first search of a
server builds the search index: it is timed on its own ("first search") and left
out of the percentiles.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter

import httpx

from bench.common import newsgraph_server, percentiles, ratio, rss_mib, store_file, table
from bench.queries import KINDS, bodies

WARMUP = 5
ROUNDS = 5


def archive_of(settings, events: int):
    from newsgraph.archive import Archive
    from newsgraph.store import EventStore

    store = store_file(settings.work, events, settings.seed, direct=events > settings.direct_above)
    return store, Archive.from_documents(EventStore(store).documents())


def measure(url: str, requests: list[bytes], path: str = "/graphql") -> tuple[dict, int]:
    """Percentiles of sequential POSTs (after a few warm-up requests) and the number of error answers."""
    with httpx.Client(base_url=url, timeout=120.0, headers={"content-type": "application/json"}) as client:
        for body in requests[:WARMUP]:
            client.post(path, content=body)
        samples, errors = timings(client, requests, path)
    return percentiles(samples), errors


def timings(client: httpx.Client, requests: list[bytes], path: str = "/graphql") -> tuple[list[float], int]:
    """Seconds each sequential POST took, and the number of error answers."""
    samples, errors = [], 0
    for body in requests:
        started = time.perf_counter()
        response = client.post(path, content=body)
        samples.append(time.perf_counter() - started)
        errors += response.status_code != 200 or b'"errors"' in response.content
    return samples, errors


def first_request(url: str, body: bytes, path: str = "/graphql") -> float:
    with httpx.Client(base_url=url, timeout=600.0, headers={"content-type": "application/json"}) as client:
        started = time.perf_counter()
        client.post(path, content=body).raise_for_status()
        return time.perf_counter() - started


def _interleaved(settings, stores: dict[int, object], drawn: dict[int, dict[str, list[bytes]]]) -> dict[int, dict]:
    """Every size's servers up at once, asked in turns; per size its first search, percentiles and RSS."""
    results: dict[int, dict] = {events: {"events": events, "kinds": {}} for events in stores}
    taken: dict[tuple[int, str], list[float]] = {(events, kind): [] for events in stores for kind in KINDS}
    errors: Counter[tuple[int, str]] = Counter()
    with contextlib.ExitStack() as stack:
        servers = {events: stack.enter_context(newsgraph_server(store, settings.work)) for events, store in stores.items()}
        clients = {events: stack.enter_context(httpx.Client(base_url=server.url, timeout=120.0,
                                                            headers={"content-type": "application/json"}))
                   for events, server in servers.items()}
        for events, server in servers.items():
            results[events]["first_search_seconds"] = first_request(server.url, drawn[events]["search"][-1])
            for kind in KINDS:
                timings(clients[events], drawn[events][kind][:WARMUP])
        sizes = list(stores)
        for round_number in range(ROUNDS):
            for events in sizes if round_number % 2 == 0 else sizes[::-1]:
                for kind in KINDS:
                    block, failed = timings(clients[events], drawn[events][kind][round_number::ROUNDS])
                    taken[events, kind] += block
                    errors[events, kind] += failed
        for events, server in servers.items():
            results[events]["server_rss_mib"] = rss_mib(server.process.pid)
    for (events, kind), samples in taken.items():
        results[events]["kinds"][kind] = {**percentiles(samples), "errors": errors[events, kind]}
    return results


def run(settings) -> dict:
    stores, drawn = {}, {}
    for events in settings.sizes:  # one archive in memory at a time, before any server starts
        stores[events], archive = archive_of(settings, events)
        drawn[events] = {kind: bodies(archive, kind, settings.requests) for kind in KINDS}
        del archive
    results = list(_interleaved(settings, stores, drawn).values())
    rows = []
    for r in results:
        for kind in KINDS:
            k = r["kinds"][kind]
            rows.append([r["events"], kind, k["p50_ms"], k["p95_ms"], k["p99_ms"], k["errors"]])
    text = table("latency (ms, one-worker server, sequential client)",
                 ["events", "query", "p50", "p95", "p99", "errors"], rows)
    growth = {}
    if len(results) > 1:
        small, large = results[0], results[-1]
        growth = {kind: {"p50": ratio(large["kinds"][kind]["p50_ms"], small["kinds"][kind]["p50_ms"]),
                         "p99": ratio(large["kinds"][kind]["p99_ms"], small["kinds"][kind]["p99_ms"])}
                  for kind in KINDS}
        text += table(f"latency growth {small['events']:,} → {large['events']:,} events",
                      ["query", "p50 growth", "p99 growth"],
                      [[kind, growth[kind]["p50"], growth[kind]["p99"]] for kind in KINDS])
    text += table("first search (builds the search index)", ["events", "seconds", "server RSS MiB"],
                  [[r["events"], r["first_search_seconds"], r["server_rss_mib"]] for r in results])
    return {"results": results, "growth": growth, "table": text}
