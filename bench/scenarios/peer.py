"""peer: Datasette + datasette-graphql over the same archive in SQLite, the equivalent queries.

datasette-graphql needs graphql-core 3.2 and strawberry 3.3, so Datasette runs from
its own virtualenv (`--peer-python`; `bench/peer-requirements.txt`). Without one, the
scenario reports `skipped` with the reason. Both servers are one process; the same
sequential client measures latency and the same load generator measures throughput.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bench.common import REPO, Server, free_port, newsgraph_server, ratio, table
from bench.peer_db import export_rows
from bench.queries import KINDS, bodies
from bench.scenarios.latency import archive_of, first_request, measure
from bench.scenarios.throughput import loadgen


def peer_available(python: str | None) -> str | None:
    """None when the peer's Python can run Datasette with datasette-graphql and sqlite-utils, else why not."""
    if not python or not Path(python).exists():
        return f"no peer Python ({python!r}); make one: python -m venv V && V/bin/pip install -r bench/peer-requirements.txt"
    done = subprocess.run([python, "-c", "import datasette, datasette_graphql, sqlite_utils"], capture_output=True)
    if done.returncode:
        return f"{python} lacks datasette, datasette-graphql or sqlite-utils: {done.stderr.decode()[-300:]}"
    return None


def peer_database(settings, events: int, store: Path) -> Path:
    db = settings.work / f"peer-{events}-s{settings.seed}.db"
    if db.exists():
        return db
    rows = settings.work / f"peer-rows-{events}"
    export_rows(store, rows)
    subprocess.run([settings.peer_python, str(REPO / "bench" / "peer_db.py"), str(rows), str(db)], check=True)
    shutil.rmtree(rows)
    return db


# datasette-graphql stops a request after 100 SQL queries; the nested query needs ~20 × (3 + 10) of them.
PEER_METADATA = {"plugins": {"datasette-graphql": {"num_queries_limit": 2000}}}


def datasette_server(settings, db: Path) -> Server:
    port = free_port()
    metadata = settings.work / "peer-metadata.json"
    metadata.write_text(json.dumps(PEER_METADATA), encoding="utf-8")
    command = [settings.peer_python, "-m", "datasette", "serve", "-i", str(db), "--port", str(port),
               "--metadata", str(metadata), "--setting", "sql_time_limit_ms", "5000",
               "--setting", "num_sql_threads", "3"]
    ready = ("POST", "/graphql", b'{"query": "{ events(first: 1) { nodes { path } } }"}')
    return Server(command, port, ready, settings.work, settings.work / "logs" / f"datasette-{port}.log")


def run_size(settings, events: int) -> dict:
    store, archive = archive_of(settings, events)
    ours = {kind: bodies(archive, kind, settings.requests) for kind in KINDS}
    theirs = {kind: bodies(archive, kind, settings.requests, peer=True) for kind in KINDS}
    del archive
    db = peer_database(settings, events, store)
    result: dict = {"events": events, "kinds": {}}
    with newsgraph_server(store, settings.work) as server:
        first_request(server.url, ours["search"][-1])
        ours_latency = {kind: measure(server.url, ours[kind]) for kind in KINDS}
        ours_throughput = loadgen(settings, server.port, ours["nested"], f"ours-{events}")
    with datasette_server(settings, db) as peer:
        theirs_latency = {kind: measure(peer.url, theirs[kind]) for kind in KINDS}
        theirs_throughput = loadgen(settings, peer.port, theirs["nested"], f"peer-{events}")
    for kind in KINDS:
        (o, o_errors), (t, t_errors) = ours_latency[kind], theirs_latency[kind]
        result["kinds"][kind] = {"ours": {**o, "errors": o_errors}, "peer": {**t, "errors": t_errors},
                                 "latency_ratio_p50": ratio(o["p50_ms"], t["p50_ms"]),
                                 "latency_ratio_p99": ratio(o["p99_ms"], t["p99_ms"])}
    result["throughput"] = {"ours": ours_throughput, "peer": theirs_throughput,
                            "rps_ratio": ratio(ours_throughput["rps"], theirs_throughput["rps"])}
    return result


def run(settings) -> dict:
    reason = peer_available(settings.peer_python)
    if reason:
        print(f"peer: skipped: {reason}")
        return {"skipped": reason}
    results = [run_size(settings, events) for events in settings.sizes]
    rows = [[r["events"], kind, r["kinds"][kind]["ours"]["p50_ms"], r["kinds"][kind]["peer"]["p50_ms"],
             r["kinds"][kind]["latency_ratio_p50"], r["kinds"][kind]["ours"]["p99_ms"],
             r["kinds"][kind]["peer"]["p99_ms"], r["kinds"][kind]["latency_ratio_p99"],
             r["kinds"][kind]["ours"]["errors"] + r["kinds"][kind]["peer"]["errors"]]
            for r in results for kind in KINDS]
    text = table("peer latency (ms): newsgraph vs Datasette + datasette-graphql, one process each",
                 ["events", "query", "ours p50", "peer p50", "ours ÷ peer p50", "ours p99", "peer p99",
                  "ours ÷ peer p99", "errors"], rows)
    text += table(f"peer throughput (nested query, {settings.concurrency} connections)",
                  ["events", "ours req/s", "peer req/s", "ours ÷ peer", "ours errors", "peer errors"],
                  [[r["events"], r["throughput"]["ours"]["rps"], r["throughput"]["peer"]["rps"],
                    r["throughput"]["rps_ratio"], r["throughput"]["ours"]["errors"],
                    r["throughput"]["peer"]["errors"]] for r in results])
    return {"results": results, "table": text}
