"""memory: a server's RSS after `--documents` distinct documents (10,000) against its RSS at start.

One one-worker server with its defaults (response cache on). After a warm-up (the nested
query 20 times: imports, first plan, first answer), its RSS is the start. Then the
nested query, each time a distinct document (the root field under a distinct alias, so
a distinct text, plan, parse-cache entry and stored answer), alternately as GET and POST,
sequentially; the RSS of the server's process tree is sampled every tenth of the way.
What must stay bounded: the plan cache, the response cache, the parse and validation caches.

Target (issue 18): RSS after the documents ≤ RSS at start + 100 MB.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx
import orjson

from bench.common import health, newsgraph_server, peak_rss_mib, ratio, rss_mib, table
from bench.queries import NESTED, draws
from bench.scenarios.latency import archive_of

TARGET_MB = 100.0
TARGET_MIB = TARGET_MB * 1e6 / 2**20
WARMUP = 20
ROOT = "events(first: 20"


def distinct(number: int) -> str:
    """The nested query with its root field under the alias `e<number>`."""
    assert ROOT in NESTED
    return NESTED.replace(ROOT, f"e{number}: {ROOT}", 1)


def run_size(settings, events: int) -> dict:
    store, archive = archive_of(settings, events)
    variables = draws(archive, "nested", 1)[0].ours
    del archive
    documents = settings.documents
    step = max(1, documents // 10)
    encoded_variables = orjson.dumps(variables).decode()
    errors = 0
    with newsgraph_server(store, settings.work, response_cache=True) as server, \
            httpx.Client(base_url=server.url, timeout=120.0, headers={"accept": "application/json"}) as client:
        pid = server.process.pid
        ready_rss = rss_mib(pid)
        for _ in range(WARMUP):
            client.post("/graphql", content=orjson.dumps({"query": NESTED, "variables": variables}),
                        headers={"content-type": "application/json"})
        start = rss_mib(pid)
        curve = [[0, start]]
        started = time.perf_counter()
        for number in range(documents):
            query = distinct(number)
            if number % 2:
                response = client.post("/graphql", content=orjson.dumps({"query": query, "variables": variables}),
                                       headers={"content-type": "application/json"})
            else:
                response = client.get("/graphql?" + urlencode({"query": query, "variables": encoded_variables}))
            errors += response.status_code != 200 or b'"errors"' in response.content
            if (number + 1) % step == 0 or number + 1 == documents:
                curve.append([number + 1, rss_mib(pid)])
        seconds = time.perf_counter() - started
        end, peak = rss_mib(pid), peak_rss_mib(pid)
        cache = health(server.url).get("responseCache")
    growth = end - start
    return {"events": events, "documents": documents, "errors": errors, "seconds": seconds,
            "ready_rss_mib": ready_rss, "start_rss_mib": start, "end_rss_mib": end, "peak_rss_mib": peak,
            "growth_mib": growth, "growth_mb": growth * 2**20 / 1e6, "growth_vs_start": ratio(end, start),
            "curve": curve, "response_cache": cache, "target_mb": TARGET_MB, "met": growth <= TARGET_MIB}


def run(settings) -> dict:
    results = [run_size(settings, events) for events in settings.sizes]
    rows = [[r["events"], r["documents"], r["errors"], r["start_rss_mib"], r["end_rss_mib"], r["peak_rss_mib"],
             r["growth_mb"], ", ".join(f"{rss:.0f}" for _, rss in r["curve"]),
             (r["response_cache"] or {}).get("entries"),
             ((r["response_cache"] or {}).get("bytes") or 0) / 1e6,
             f"{'yes' if r['met'] else '**no**'} (≤ +{r['target_mb']:g} MB)"] for r in results]
    text = table("memory: one-worker server, distinct nested documents (alias each), GET and POST alternating",
                 ["events", "documents", "errors", "RSS at start MiB", "RSS after MiB", "peak RSS MiB",
                  "growth MB", "RSS MiB every tenth", "response cache entries", "response cache MB", "met?"], rows)
    return {"results": results, "table": text}
