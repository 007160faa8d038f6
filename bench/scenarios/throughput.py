"""throughput: a real uvicorn server, 1 and 2 workers, under bounded concurrent load from another process."""

from __future__ import annotations

import json
import resource
import subprocess

from bench.common import PYTHON, child_env, newsgraph_server, ratio, rss_mib, table
from bench.queries import bodies
from bench.scenarios.latency import archive_of


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
    store, archive = archive_of(settings, events)
    requests = bodies(archive, "nested", max(settings.requests, 200))
    del archive
    result: dict = {"events": events}
    for workers in (1, 2):
        with newsgraph_server(store, settings.work, workers=workers) as server:
            measured = loadgen(settings, server.port, requests, f"nested-{events}")
            measured["server_rss_mib"] = rss_mib(server.process.pid)
        result[f"workers_{workers}"] = measured
    result["two_vs_one"] = ratio(result["workers_2"]["rps"], result["workers_1"]["rps"])
    return result


def run(settings) -> dict:
    results = [run_size(settings, events) for events in settings.sizes]
    rows = [[r["events"], workers, r[f"workers_{workers}"]["rps"], r[f"workers_{workers}"]["errors"],
             r[f"workers_{workers}"]["p50_ms"], r[f"workers_{workers}"]["p99_ms"],
             r[f"workers_{workers}"]["client_cpu_seconds"] / r[f"workers_{workers}"]["seconds"],
             r["two_vs_one"] if workers == 2 else None]
            for r in results for workers in (1, 2)]
    text = table(f"throughput (nested query, {settings.concurrency} connections, {settings.duration:g} s)",
                 ["events", "workers", "requests/s", "errors", "p50 ms", "p99 ms", "client CPU (cores)",
                  "2 ÷ 1 workers"], rows)
    return {"results": results, "table": text}
