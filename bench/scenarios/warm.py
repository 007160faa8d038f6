"""warm: the same GET query repeated on our server with its response cache ÷ the round trip of `{ __typename }`.

One one-worker server with its defaults (the response cache on). One sequential keep-alive
client (httpx) asks, in turns, the nested query as a GET (always the same URL: the same
document and variables, so every request after the first is a stored answer) and
`{ __typename }` as a GET (the reference of the target: the smallest round trip the server
has, itself a stored answer after the first). For context it also asks `{ __typename }` as a
POST and a `{ __typename }` with a distinct alias each time (a miss: parse, validate, execute).
`/healthz`'s `responseCache` counters before and after show the hits.

Target (issue 18): warm nested GET p50 ≤ 1.5× the `{ __typename }` GET p50.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx
import orjson

from bench.common import health, newsgraph_server, percentiles, ratio, table
from bench.queries import NESTED, draws
from bench.scenarios.latency import WARMUP, archive_of

TARGET = 1.5
TYPENAME = "{ __typename }"


def _get_url(query: str, variables: dict | None = None) -> str:
    parameters = {"query": query}
    if variables:
        parameters["variables"] = orjson.dumps(variables).decode()
    return "/graphql?" + urlencode(parameters)


def run_size(settings, events: int) -> dict:
    store, archive = archive_of(settings, events)
    variables = draws(archive, "nested", 1)[0].ours
    del archive
    count = max(settings.requests, 20)
    nested_url, typename_url = _get_url(NESTED, variables), _get_url(TYPENAME)
    typename_body = orjson.dumps({"query": TYPENAME})
    kinds = ("nested_get", "typename_get", "typename_post", "typename_distinct")
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    errors = dict.fromkeys(kinds, 0)
    with newsgraph_server(store, settings.work, response_cache=True) as server, \
            httpx.Client(base_url=server.url, timeout=120.0, headers={"accept": "application/json"}) as client:
        before = health(server.url).get("responseCache")
        started = time.perf_counter()
        first = client.get(nested_url)
        first_seconds = time.perf_counter() - started
        answer_bytes = len(first.content)
        serial = 0

        def ask(kind: str) -> httpx.Response:
            nonlocal serial
            if kind == "nested_get":
                return client.get(nested_url)
            if kind == "typename_get":
                return client.get(typename_url)
            if kind == "typename_post":
                return client.post("/graphql", content=typename_body, headers={"content-type": "application/json"})
            serial += 1
            return client.post("/graphql", content=orjson.dumps({"query": f"{{ t{serial}: __typename }}"}),
                               headers={"content-type": "application/json"})

        for _ in range(WARMUP):
            for kind in kinds:
                ask(kind)
        for number in range(count):
            shift = number % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                started = time.perf_counter()
                response = ask(kind)
                samples[kind].append(time.perf_counter() - started)
                errors[kind] += response.status_code != 200 or b'"errors"' in response.content
        after = health(server.url).get("responseCache")
    figures = {kind: {**percentiles(samples[kind]), "errors": errors[kind]} for kind in kinds}
    figure = ratio(figures["nested_get"]["p50_ms"], figures["typename_get"]["p50_ms"])
    return {"events": events, "kinds": figures, "first_nested_get_ms": first_seconds * 1000,
            "answer_bytes": answer_bytes, "response_cache_before": before, "response_cache_after": after,
            "warm_vs_typename_p50": figure,
            "warm_vs_typename_mean": ratio(figures["nested_get"]["mean_ms"], figures["typename_get"]["mean_ms"]),
            "warm_vs_typename_post_p50": ratio(figures["nested_get"]["p50_ms"], figures["typename_post"]["p50_ms"]),
            "target": TARGET, "met": figure is not None and figure <= TARGET}


def run(settings) -> dict:
    results = [run_size(settings, events) for events in settings.sizes]
    rows = [[r["events"], r["answer_bytes"], r["first_nested_get_ms"], r["kinds"]["nested_get"]["p50_ms"],
             r["kinds"]["typename_get"]["p50_ms"], r["kinds"]["typename_post"]["p50_ms"],
             r["kinds"]["typename_distinct"]["p50_ms"], r["warm_vs_typename_p50"], r["warm_vs_typename_mean"],
             (r["response_cache_after"] or {}).get("hits"), sum(k["errors"] for k in r["kinds"].values()),
             f"{'yes' if r['met'] else '**no**'} (≤ {r['target']:g})"] for r in results]
    text = table("warm: the same nested GET, response cache on, ÷ `{ __typename }` (ms, sequential, one worker)",
                 ["events", "answer bytes", "first (miss) ms", "warm GET p50", "typename GET p50",
                  "typename POST p50", "typename, distinct alias p50", "warm ÷ typename GET (p50)",
                  "warm ÷ typename GET (mean)", "cache hits", "errors", "met?"], rows)
    return {"results": results, "table": text}
