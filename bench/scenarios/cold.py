"""cold start: `newsgraph serve` spawn → first answered query, ÷ reading and JSON-decoding the store file.

The reference is `read_store_file`: the bare read and decode (orjson, the cycle collector
paused; a line at a time past orjson's 2 GiB limit) that every start has to do first.
"""

from __future__ import annotations

import subprocess
import time

from bench.common import PYTHON, best_of, child_env, newsgraph_server, peak_rss_mib, ratio, store_file, table


def _import_seconds(settings) -> float:
    """A fresh interpreter importing what a server imports (part of every cold start)."""
    code = "import time; t = time.perf_counter(); import newsgraph.server.starting; print(time.perf_counter() - t)"
    timings = []
    for _ in range(settings.repeat):
        done = subprocess.run([PYTHON, "-c", code], capture_output=True, check=True, env=child_env(), cwd=settings.work)
        timings.append(float(done.stdout))
    return min(timings)


def run_size(settings, events: int) -> dict:
    store = store_file(settings.work, events, settings.seed, direct=events > settings.direct_above)
    from newsgraph.archive import Archive
    from newsgraph.store import EventStore
    from newsgraph.store.storage import read_store_file

    decode = best_of(settings.repeat, lambda: read_store_file(store))

    documents = EventStore(store).documents()
    started = time.perf_counter()
    Archive.from_documents(documents)
    build = time.perf_counter() - started
    del documents
    starts, peaks = [], []
    for _ in range(settings.repeat):
        server = newsgraph_server(store, settings.work)
        try:
            starts.append(server.start())
            peaks.append(peak_rss_mib(server.process.pid))
        finally:
            server.stop()
    cold = min(starts)
    return {"events": events, "store_mib": store.stat().st_size / 2**20, "read_decode_seconds": decode,
            "archive_build_seconds": build, "cold_start_seconds": cold, "cold_starts": starts,
            "cold_vs_read_decode": ratio(cold, decode), "peak_rss_mib": max(peaks)}


def run(settings) -> dict:
    imports = _import_seconds(settings)
    results = [run_size(settings, events) for events in settings.sizes]
    text = table(
        "cold start", ["events", "store MiB", "read+decode s", "imports s", "archive build s", "cold start s",
                       "cold ÷ read+decode", "peak RSS MiB"],
        [[r["events"], r["store_mib"], r["read_decode_seconds"], imports, r["archive_build_seconds"],
          r["cold_start_seconds"], r["cold_vs_read_decode"], r["peak_rss_mib"]] for r in results],
    )
    return {"import_seconds": imports, "results": results, "table": text}
