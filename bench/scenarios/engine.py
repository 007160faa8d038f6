"""engine overhead: the four query kinds through our schema ÷ graphql-core over plain dicts (the floor).

Everything runs in this process, on the same variables (bench/queries.py: nested, tag,
search, page1000), and for each request the paths below run one after the other, their
order rotated from one request to the next:

- **compiled**: `build_schema(compiled_plans=True)`, `Schema.execute_sync` with our extensions
  and resolvers over the Archive, as the server's query threads call it (gql/server/view.py);
- **reference**: `build_schema(compiled_plans=False)`, graphql-core executing Strawberry's
  resolvers: the engine before compiled plans, measured in the same run (before a schema
  had the switch, the default schema is the reference and there is no compiled path);
- **floor**: graphql-core's `execute` of a pre-parsed, pre-validated document against an SDL
  schema of the same shape (`FLOOR_SDL`), with default resolvers reading dicts prepared
  beforehand; its root field returns the prepared answer for the request's variables. The
  nested query's dicts are built from the Archive here (an independent check of ours); the
  other kinds' are the reference answer itself as plain dicts and lists (their resolvers
  rank and page: the floor is graphql-core walking the same data, not our ranking again).
  The floor runs through `call_with_room` (bench/common.py): graphql-core's recursion at the
  bottom of a fresh frame-stack chunk, so the floor never pays for chunk churn (the steadiest,
  fastest graphql-core this harness knows);
- **floor + parse/validate**: `graphql_sync` of the text (what a floor without caches pays).

Every answer is checked equal across the paths first (that pass is also the warm-up: plans
compiled, search index built); then one measured pass. Both sides' data is frozen out of
the collector's sight (`gc.freeze`), as the server holds its archive. The targets (issue 18):
compiled ÷ floor ≤ 0.3 for nested and ≤ 0.5 for the others, at p50.
"""

from __future__ import annotations

import gc
import inspect
import time

import orjson
from graphql import build_schema as build_sdl_schema
from graphql import execute, graphql_sync, parse, validate

from bench.common import call_with_room, percentiles, ratio, table
from bench.queries import KINDS, OURS, draws
from bench.scenarios.latency import archive_of

TARGETS = {"nested": 0.3, "tag": 0.5, "search": 0.5, "page1000": 0.5}  # compiled ÷ floor, p50
ROOT_FIELD = {"nested": "events", "tag": "tag", "search": "search", "page1000": "events"}

FLOOR_SDL = """
type Query {
  events(first: Int, after: String): EventConnection!
  tag(name: String!): Tag
  search(text: String!, first: Int): SearchConnection!
}
type EventConnection { totalCount: Int! pageInfo: PageInfo! edges: [EventEdge!]! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type EventEdge { node: Event! }
type SearchConnection { totalCount: Int! edges: [SearchHit!]! }
type SearchHit { node: Event! }
type Event { path: String! headline: String! date: String! sources: [Source!]! related: [Related!]! tags: [Tag!]! }
type Source { name: String! url: String! }
type Related { headline: String! event: Event }
type Tag { name: String! eventCount: Int! events(first: Int): EventConnection! }
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


def _window(archive, after: str | None) -> dict:
    """The nested query's page as dicts, from the Archive: the 20 events below the cursor, newest first."""
    from newsgraph.api.paging import decode_cursor

    position = len(archive.ascending)
    if after is not None:
        position = archive.rank[decode_cursor(after, "date", "after")[1]]
    paths = archive.ascending[max(0, position - 20):position][::-1]
    return {"edges": [{"node": _event_dict(archive, path)} for path in paths]}


def schemas() -> dict:
    """{"compiled": ..., "reference": ...}; only "reference" (the default schema) before compiled plans existed."""
    from newsgraph.api import build_schema

    if "compiled_plans" in inspect.signature(build_schema).parameters:
        return {"compiled": build_schema(compiled_plans=True), "reference": build_schema(compiled_plans=False)}
    return {"reference": build_schema()}


def plan_stats(schema) -> dict | None:
    plans = getattr(schema, "plans", None)
    return dict(plans.stats()) if plans is not None else None


def _delta(after: dict | None, before: dict | None) -> dict | None:
    if after is None or before is None:
        return None
    return {key: value - before.get(key, 0) for key, value in after.items() if isinstance(value, (int, float))}


def _plain(data: object) -> object:
    """A fresh copy made of dicts, lists and scalars only (no object shared with our schema's caches)."""
    return orjson.loads(orjson.dumps(data))


def _measure_kind(kind: str, archive, variables: list[dict], ours: dict, floor_schema, context: dict) -> dict:
    text, field = OURS[kind], ROOT_FIELD[kind]
    document = parse(text)
    assert not validate(floor_schema, document), validate(floor_schema, document)

    # -- check every answer, and prepare the floor's data (the warm-up pass) --------------------
    roots: list[dict] = []
    for values in variables:
        answers = {}
        for name, schema in ours.items():
            result = schema.execute_sync(text, variable_values=values, context_value=context)
            assert not result.errors, (kind, name, result.errors)
            answers[name] = result.data
        if kind == "nested":
            prepared = _window(archive, values["after"])
        else:
            prepared = _plain(answers["reference"][field])
        root = {field: lambda info, prepared=prepared, **arguments: prepared}
        floor = execute(floor_schema, document, root, variable_values=values)
        assert not floor.errors, (kind, floor.errors)
        for name, data in answers.items():
            assert data == floor.data, f"{kind}: the floor must answer exactly what {name} answers ({values})"
        roots.append(root)

    # -- the measured pass ----------------------------------------------------------------------
    def ours_path(schema):
        def once(values: dict, root: dict) -> None:
            schema.execute_sync(text, variable_values=values, context_value=context)
        return once

    def floor_once(values: dict, root: dict) -> None:
        call_with_room(execute, floor_schema, document, root, variable_values=values)

    def floor_full_once(values: dict, root: dict) -> None:
        call_with_room(graphql_sync, floor_schema, text, root, variable_values=values)

    paths = {**{name: ours_path(schema) for name, schema in ours.items()},
             "floor": floor_once, "floor_parse_validate": floor_full_once}
    names = list(paths)
    samples: dict[str, list[float]] = {name: [] for name in names}
    stats_before = {name: plan_stats(schema) for name, schema in ours.items()}
    for number, (values, root) in enumerate(zip(variables, roots, strict=True)):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            run = paths[name]
            started = time.perf_counter()
            run(values, root)
            samples[name].append(time.perf_counter() - started)
    measured = {name: percentiles(values) for name, values in samples.items()}
    result: dict = {**measured, "target": TARGETS[kind],
                    "plans": {name: _delta(plan_stats(schema), stats_before[name]) for name, schema in ours.items()}}
    for name in ours:
        result[f"{name}_vs_floor_p50"] = ratio(measured[name]["p50_ms"], measured["floor"]["p50_ms"])
        result[f"{name}_vs_floor_mean"] = ratio(measured[name]["mean_ms"], measured["floor"]["mean_ms"])
    if "compiled" in ours:
        result["compiled_vs_reference_p50"] = ratio(measured["compiled"]["p50_ms"], measured["reference"]["p50_ms"])
        result["compiled_vs_reference_mean"] = ratio(measured["compiled"]["mean_ms"], measured["reference"]["mean_ms"])
        result["met"] = result["compiled_vs_floor_p50"] <= TARGETS[kind]
    return result


def run_size(settings, events: int) -> dict:
    from newsgraph.api import ARCHIVE

    _store, archive = archive_of(settings, events)
    variables = {kind: [draw.ours for draw in draws(archive, kind, settings.requests)] for kind in KINDS}
    ours = schemas()
    context = {"request": None, "response": None, ARCHIVE: archive}
    floor_schema = build_sdl_schema(FLOOR_SDL)
    kinds: dict[str, dict] = {}
    for kind in KINDS:
        gc.collect()
        gc.freeze()  # the archive, the floor's dicts, compiled plans: out of the collector's sight
        try:
            kinds[kind] = _measure_kind(kind, archive, variables[kind], ours, floor_schema, context)
        finally:
            gc.unfreeze()
    main = "compiled" if "compiled" in ours else "reference"
    nested = kinds["nested"]
    return {"events": events, "compiled_plans": "compiled" in ours, "kinds": kinds,
            "plans_total": {name: plan_stats(schema) for name, schema in ours.items()},
            # the nested figures under the names of earlier rounds
            "ours": nested[main], "floor": nested["floor"], "floor_parse_validate": nested["floor_parse_validate"],
            "overhead_p50": nested[f"{main}_vs_floor_p50"], "overhead_mean": nested[f"{main}_vs_floor_mean"]}


def run(settings) -> dict:
    results = [run_size(settings, events) for events in settings.sizes]
    rows = []
    for r in results:
        for kind in KINDS:
            k = r["kinds"][kind]
            compiled = k.get("compiled", {})
            met = k.get("met")
            rows.append([r["events"], kind, compiled.get("p50_ms"), k["reference"]["p50_ms"], k["floor"]["p50_ms"],
                         k["floor_parse_validate"]["p50_ms"], k.get("compiled_vs_floor_p50"),
                         k.get("compiled_vs_floor_mean"), k["reference_vs_floor_p50"], k["reference_vs_floor_mean"],
                         k.get("compiled_vs_reference_p50"), f"≤ {k['target']:g}",
                         None if met is None else ("yes" if met else "**no**")])
    text = table("engine overhead (in process, ms; compiled plans and the reference path ÷ graphql-core over dicts)",
                 ["events", "query", "compiled p50", "reference p50", "floor p50", "floor + parse/validate p50",
                  "compiled ÷ floor (p50)", "compiled ÷ floor (mean)", "reference ÷ floor (p50)",
                  "reference ÷ floor (mean)", "compiled ÷ reference (p50)", "target", "met?"], rows)
    plan_rows = [[r["events"], kind, *(r["kinds"][kind]["plans"].get("compiled") or {}).values()]
                 for r in results for kind in KINDS if r["compiled_plans"]]
    if plan_rows:
        keys = list((results[0]["kinds"]["nested"]["plans"].get("compiled") or {}).keys())
        text += table("compiled plans during the measured pass (schema.plans.stats() difference)",
                      ["events", "query", *keys], plan_rows)
    return {"results": results, "table": text}
