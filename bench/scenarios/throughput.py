"""throughput: real uvicorn servers, 1 and 2 workers, under bounded concurrent load from another process."""

from __future__ import annotations

import json
import resource
import subprocess

from bench.common import PYTHON, child_env, newsgraph_server, ratio, rss_mib, table
from bench.queries import bodies
from bench.scenarios.latency import archive_of

ROUNDS = 3  # alternating 1-worker and 2-worker runs; at least this many, or --repeat


def loadgen(settings, port: int, requests: list[bytes], name: str) -> dict:
    """Run bench.loadgen against 127.0.0.1:port; its JSON result plus the CPU seconds it used."""
    body_file = settings.work / f"bodies-{name}.json"
    body_file.write_text(json.dumps([body.decode() for body in requests]), encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([PYTHON, "-m", "bench.loadgen", "--port", str(port), "--bodies", str(body_file),
                           "--concurrency", str(settings.concurrency), "--duration", str(settings.duration),
                           "--warmup", str(settings.warmup)],
                          capture_output=True, check=True, env=child_env(), cwd=settings.work)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(done.stdout)
    result["client_cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def run_size(settings, events: int) -> dict:
    """Both servers stay up; rounds alternate between them, so drift in the machine's speed hits both alike.

    The figure is the median requests/s of each over the rounds, and their ratio.
    """
    store, archive = archive_of(settings, events)
    requests = bodies(archive, "nested", max(settings.requests, 200))
    del archive
    result: dict = {"events": events, "rounds": []}
    with newsgraph_server(store, settings.work, workers=1) as one, newsgraph_server(store, settings.work, workers=2) as two:
        for _ in range(max(settings.repeat, ROUNDS)):
            measured = {str(workers): loadgen(settings, server.port, requests, f"nested-{events}")
                        for workers, server in ((1, one), (2, two))}
            result["rounds"].append(measured)
        rss = {1: rss_mib(one.process.pid), 2: rss_mib(two.process.pid)}
    for workers in (1, 2):
        runs = [measured[str(workers)] for measured in result["rounds"]]
        median = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
        result[f"workers_{workers}"] = {**median, "server_rss_mib": rss[workers], "all_rps": [run["rps"] for run in runs]}
    result["two_vs_one"] = ratio(result["workers_2"]["rps"], result["workers_1"]["rps"])
    result["two_vs_one_by_round"] = [ratio(measured["2"]["rps"], measured["1"]["rps"]) for measured in result["rounds"]]
    return result


def run(settings) -> dict:
    results = [run_size(settings, events) for events in settings.sizes]
    rows = [[r["events"], workers, r[f"workers_{workers}"]["rps"], r[f"workers_{workers}"]["errors"],
             r[f"workers_{workers}"]["p50_ms"], r[f"workers_{workers}"]["p99_ms"],
             r[f"workers_{workers}"]["client_cpu_seconds"] / r[f"workers_{workers}"]["seconds"],
             ", ".join(f"{rps:.0f}" for rps in r[f"workers_{workers}"]["all_rps"]),
             r["two_vs_one"] if workers == 2 else None,
             ", ".join(f"{value:.2f}" for value in r["two_vs_one_by_round"]) if workers == 2 else None]
            for r in results for workers in (1, 2)]
    text = table(f"throughput (nested query, {settings.concurrency} connections, {settings.duration:g} s a round, "
                 "median of alternating rounds)",
                 ["events", "workers", "requests/s", "errors", "p50 ms", "p99 ms", "client CPU (cores)",
                  "requests/s by round", "2 ÷ 1 workers", "2 ÷ 1 by round"], rows)
    return {"results": results, "table": text}
