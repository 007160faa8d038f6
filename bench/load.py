"""Bounded loopback load test: `newsgraph serve --workers 2` under 50 concurrent clients.

    python -m bench.load                       # 60 s, 50 clients, 2 workers, the bundled archive
    python -m bench.load --duration 5 --clients 5

Starts the server on a free port over a fresh store of `--data` (the bundled
archive by default), learns real paths, tags, days and words from it, then runs
`--clients` closed-loop clients (httpx, one request at a time each) for
`--duration` seconds with a mix of the queries the explorer sends: the timeline,
an event page, a tag page, a search, a day page, plus small lookups. An error is
any transport failure, any status but 200, or any GraphQL `errors` entry.
Prints requests, errors, requests/s and latency percentiles, and writes them as
JSON to `--out` (bench/out/loadtest.json). Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent

EVENT_ITEM = "fragment EventItem on Event { path date headline sources { name } tags { name } }"
QUERIES = {
    "timeline": """query Timeline($first: Int, $after: String) {
      stats { events tags publishers dateFrom dateTo }
      days { date eventCount }
      events(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { ...EventItem } } }
      tags(first: 20) { edges { node { name eventCount } } } }""",
    "event": """query Event($path: String!) { event(path: $path) { path date headline summaryHtml coverImage
      sources { name url domain publisher { name eventCount } } tags { name eventCount }
      related { path headline date context { name } event { path headline date } }
      relatedBy(first: 50) { totalCount edges { node { ...EventItem } } } } }""",
    "tag": """query Tag($name: String!, $first: Int!) { tag(name: $name) { name eventCount
      perMonth: timeline(granularity: MONTH) { period count } relatedTags(first: 15) { count tag { name eventCount } }
      events(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { node { ...EventItem } } } } }""",
    "search": """query Search($text: String!, $first: Int!) { search(text: $text, first: $first) { totalCount
      edges { snippetHtml score node { ...EventItem } } } }""",
    "day": """query Day($date: Date!, $first: Int!) { day(date: $date) { date eventCount
      events(first: $first) { edges { node { ...EventItem } } } } }""",
    "node": """query Node($id: ID!) { node(id: $id) { id ... on Event { headline date } } }""",
    "stats": """{ stats { events tags publishers unresolvedRelatedLinks } }""",
}
MIX = {"timeline": 15, "event": 30, "tag": 15, "search": 20, "day": 10, "node": 5, "stats": 5}
DISCOVER = """{ stats { events } events(first: 100) { edges { node { id path headline tags { name } } } }
  tags(first: 100) { edges { node { name } } } days { date } }"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(data: Path, db: Path, workers: int, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "newsgraph", "serve", "--db", str(db), "--data", str(data), "--port", str(port),
               "--workers", str(workers)]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz in time")


def requests_from(archive: dict[str, Any], rng: random.Random, count: int = 2_000) -> list[tuple[str, dict]]:
    """`count` (kind, body) pairs drawn by MIX over real values of the served archive."""
    events = [edge["node"] for edge in archive["events"]["edges"]]
    tags = [edge["node"]["name"] for edge in archive["tags"]["edges"]] or ["none"]
    days = [day["date"] for day in archive["days"]] or ["2015-09-01"]
    words = [word for event in events for word in event["headline"].split() if len(word) > 4 and word.isalpha()]
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    bodies = []
    for kind in kinds:
        variables: dict[str, Any] = {}
        if kind == "timeline":
            variables = {"first": rng.choice((20, 50))}
        elif kind == "event":
            variables = {"path": rng.choice(events)["path"]}
        elif kind == "tag":
            variables = {"name": rng.choice(tags), "first": 20}
        elif kind == "search":
            variables = {"text": " ".join(rng.sample(words, k=min(len(words), rng.choice((1, 1, 2))))) or "the",
                         "first": 20}
        elif kind == "day":
            variables = {"date": rng.choice(days), "first": 20}
        elif kind == "node":
            variables = {"id": rng.choice(events)["id"]}
        query = QUERIES[kind] + ("\n" + EVENT_ITEM if "...EventItem" in QUERIES[kind] else "")
        bodies.append((kind, {"query": query, "variables": variables}))
    return bodies


async def run_clients(base: str, bodies: list[tuple[str, dict]], clients: int, duration: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    end = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(index: int, http: httpx.AsyncClient) -> None:
        position = index * 37
        while time.perf_counter() < end:
            kind, body = bodies[position % len(bodies)]
            position += 1
            started = time.perf_counter()
            try:
                response = await http.post("/graphql", json=body)
                failed = (f"status {response.status_code}" if response.status_code != 200
                          else "graphql errors" if response.json().get("errors") else None)
            except httpx.HTTPError as error:
                failed = type(error).__name__
            latencies.append(time.perf_counter() - started)
            kinds[kind] += 1
            if failed:
                errors[f"{kind}: {failed}"] += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        await asyncio.gather(*(client(index, http) for index in range(clients)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2) if ordered else 0.0

    return {
        "requests": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {"p50": percentile(0.50), "p90": percentile(0.90), "p99": percentile(0.99),
                       "max": round(ordered[-1] * 1000, 2) if ordered else 0.0},
        "by_kind": dict(kinds),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--data", type=Path, default=REPO / "data" / "news", help="archive directory served")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "loadtest.json", help="JSON report")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="newsgraph-load-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(args.data, work / "newsgraph.json", args.workers, port)
    try:
        wait_until_up(base, server)
        discovered = httpx.post(base + "/graphql", json={"query": DISCOVER}, timeout=30).json()["data"]
        bodies = requests_from(discovered, random.Random(args.seed))
        print(f"load: {args.clients} clients for {args.duration:g} s against {args.workers} workers at {base}",
              file=sys.stderr)
        result = asyncio.run(run_clients(base, bodies, args.clients, args.duration))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)

    report = {
        "command": "python -m bench.load " + " ".join(argv if argv is not None else sys.argv[1:]),
        "clients": args.clients, "workers": args.workers, "duration_s": args.duration,
        "events": discovered["stats"]["events"], "cpus": os.cpu_count(), "python": platform.python_version(),
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    latency = result["latency_ms"]
    print(f"{result['requests']} requests, {result['errors']} errors, {result['requests_per_s']} req/s, "
          f"p50 {latency['p50']} ms, p99 {latency['p99']} ms (max {latency['max']} ms) on {os.cpu_count()} CPUs "
          f"→ {args.out}")
    for kind, count in result["error_kinds"].items():
        print(f"  {count} × {kind}", file=sys.stderr)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
