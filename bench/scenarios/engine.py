"""engine overhead: our nested query through Strawberry ÷ graphql-core over plain dicts (the floor).

Both run in this process on the same 20-event windows. The floor is graphql-core's
`execute` of a pre-parsed, pre-validated document against an SDL schema of the same
shape, with default resolvers reading dicts prepared beforehand; its root field
just returns the prepared page. Ours is `Schema.execute` (async, as the ASGI view
calls it) with our extensions and resolvers reading the Archive. The answers are
checked to be equal first. The floor runs through `call_with_room` as our schema's
execution does (gql/api/stack.py), so neither pays for frame-stack chunk churn.
"""

from __future__ import annotations

import asyncio
import gc
import time

from graphql import build_schema as build_sdl_schema
from graphql import execute, graphql_sync, parse, validate

from bench.common import percentiles, ratio, table
from bench.queries import NESTED, draws
from bench.scenarios.latency import archive_of

FLOOR_SDL = """
type Query { events(first: Int, after: String): EventConnection! }
type EventConnection { edges: [EventEdge!]! }
type EventEdge { node: Event! }
type Event { path: String! headline: String! date: String! sources: [Source!]! related: [Related!]! tags: [Tag!]! }
type Source { name: String! url: String! }
type Related { headline: String! event: Event }
type Tag { name: String! }
"""


def _event_dict(archive, path: str, deep: bool = True) -> dict:
    event = archive.events[path]
    tags = [{"name": archive.tags[key].name} for key in archive.event_tags.get(path, ())]
    record = {"path": path, "headline": event.headline, "date": event.date.isoformat(), "tags": tags,
              "sources": [{"name": s.name, "url": s.url} for s in event.sources], "related": []}
    if deep:
        record["related"] = [
            {"headline": item.headline, "event": _event_dict(archive, target, deep=False) if target else None}
            for item, target in zip(event.related, archive.resolved[path], strict=True)
        ]
    return record


def _window(archive, after: str | None) -> list[dict]:
    from newsgraph.api.paging import decode_cursor

    position = len(archive.ascending)
    if after is not None:
        position = archive.rank[decode_cursor(after, "date", "after")[1]]
    paths = archive.ascending[max(0, position - 20):position][::-1]
    return [{"node": _event_dict(archive, path)} for path in paths]


def run_size(settings, events: int) -> dict:
    from newsgraph.api import ARCHIVE, build_schema
    from newsgraph.api.stack import call_with_room

    _store, archive = archive_of(settings, events)
    variables = [draw.ours for draw in draws(archive, "nested", settings.requests)]
    ours_schema = build_schema()
    context = {"request": None, "response": None, ARCHIVE: archive}
    floor_schema = build_sdl_schema(FLOOR_SDL)
    document = parse(NESTED)
    assert not validate(floor_schema, document)
    windows = {v["after"]: {"edges": _window(archive, v["after"])} for v in variables}
    gc.freeze()  # both sides' data out of the collector's sight, as the server holds its archive (gql/archive/holder.py)

    def floor_root(after):
        return {"events": lambda info, first=None, after=after: windows[after]}

    async def ours_once(values: dict):
        return await ours_schema.execute(NESTED, variable_values=values, context_value=context)

    loop = asyncio.new_event_loop()
    try:
        check = loop.run_until_complete(ours_once(variables[0]))
        expected = execute(floor_schema, document, floor_root(variables[0]["after"]), variable_values=variables[0])
        assert not check.errors and not expected.errors, (check.errors, expected.errors)
        assert check.data == expected.data, "the floor schema must answer exactly what ours answers"
        ours, floor, floor_full = [], [], []
        for _ in range(2):  # the second round is the measured one: both warm
            ours.clear(), floor.clear(), floor_full.clear()
            for values in variables:
                started = time.perf_counter()
                loop.run_until_complete(ours_once(values))
                ours.append(time.perf_counter() - started)
                started = time.perf_counter()
                call_with_room(execute, floor_schema, document, floor_root(values["after"]), variable_values=values)
                floor.append(time.perf_counter() - started)
                started = time.perf_counter()
                call_with_room(graphql_sync, floor_schema, NESTED, floor_root(values["after"]), variable_values=values)
                floor_full.append(time.perf_counter() - started)
    finally:
        loop.close()
        gc.unfreeze()
    ours_p, floor_p, full_p = percentiles(ours), percentiles(floor), percentiles(floor_full)
    return {"events": events, "ours": ours_p, "floor": floor_p, "floor_parse_validate": full_p,
            "overhead_p50": ratio(ours_p["p50_ms"], floor_p["p50_ms"]),
            "overhead_mean": ratio(ours_p["mean_ms"], floor_p["mean_ms"])}


def run(settings) -> dict:
    results = [run_size(settings, events) for events in settings.sizes]
    text = table("engine overhead (nested query, in process, ms)",
                 ["events", "ours p50", "graphql-core floor p50", "floor + parse/validate p50",
                  "ours ÷ floor (p50)", "ours ÷ floor (mean)"],
                 [[r["events"], r["ours"]["p50_ms"], r["floor"]["p50_ms"], r["floor_parse_validate"]["p50_ms"],
                   r["overhead_p50"], r["overhead_mean"]] for r in results])
    return {"results": results, "table": text}
