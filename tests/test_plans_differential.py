"""Compiled plans answer exactly what graphql-core's own execution answers: a differential test.

`build_schema()` runs queries through compiled plans (newsgraph.api.plans); `build_schema(compiled_plans=False)`
is the reference, graphql-core's `execute` with Strawberry's resolvers. Both run the same operation on the same
archive (the bundled one, and 300 generated events) and their answers must be the same JSON, key order included:
`data`, and `errors` as formatted (message, locations, path, extensions).

The operations come from tests/operations.py (its docstring says how): thousands of query documents with
variables, aliases, named and inline fragments (on `Node` too), `@skip`/`@include` with literal and variable
conditions, `__typename`, repeated fields, nesting through events, links, tags and publishers; arguments that
find real data (paths, global ids, tags, publishers, search words, cursors from real pages) and wrong ones (bad
page sizes and cursors, RELEVANCE without a text, odd strings), so field errors and null propagation are compared
too; and documents past the limits, invalid ones and introspection. Each document runs with one to three sets of
variables, so a plan cached for its text is run again with other values.

A mismatch fails with the operation as hypothesis shrank it (for NEWSGRAPH_DIFFERENTIAL_SHRINK_SECONDS, default
60, after the first mismatch), then as `_reduce` cut it down further (selections, arguments and directives removed
while the answers still differ), each with its variables, both answers and where they first differ.

At the end of each run the compiled schema must have answered through a plan all but what plans leave to
graphql-core by design (mutations, subscriptions, introspection: `EXPECTED_FALLBACK`); the tally says how many.

Both schemas run without the time limit (`query_timeout=None`): where a query would stop depends on how fast each
engine is, not on what it answers. Everything else is the server's default limits.

The run is reproducible (derandomized, no example database). CI runs NEWSGRAPH_DIFFERENTIAL_EXAMPLES examples
(default 350) per archive, about one and a half operations each (over 1,000 in all, some 30 s); a long run, e.g.
after changing plans (about 45 ms an example; `-rA` prints each run's tally: operations, how many answered with
data or errors, compiled and fallback counts, error codes, kinds of document):

    NEWSGRAPH_DIFFERENTIAL_EXAMPLES=20000 .venv/bin/python -m pytest tests/test_plans_differential.py -rA
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    DocumentNode,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from graphql.language.visitor import REMOVE, SKIP
from hypothesis import HealthCheck, Phase, given, settings

from bench.corpus import generate_events
from newsgraph.api import ARCHIVE, QueryLimits, build_schema
from newsgraph.api.ids import to_global_id
from newsgraph.api.internals import why_off
from newsgraph.archive import Archive
from newsgraph.store import EventStore
from tests.drivers import EXAMPLES as EXAMPLES_DIR
from tests.drivers import example
from tests.operations import Pool, all_cases, show

EXAMPLES = int(os.environ.get("NEWSGRAPH_DIFFERENTIAL_EXAMPLES", "350"))
SHRINK_SECONDS = int(os.environ.get("NEWSGRAPH_DIFFERENTIAL_SHRINK_SECONDS", "60"))  # after the first mismatch
LIMITS = QueryLimits(query_timeout=None)  # see the module's docstring
GENERATED_SEED = 11
SHOWN_CHARS = 12_000  # of each answer, in a failure message
# Operations the reference path answers by design (newsgraph.api.plans.plans): mutations, subscriptions, introspection.
EXPECTED_FALLBACK = re.compile(r"^\s*(mutation|subscription)\b|__schema|__type\b", re.MULTILINE)


@dataclass
class Tally:
    operations: int = 0
    with_data: int = 0
    with_errors: int = 0
    compiled: int = 0
    fallbacks: int = 0
    neither: int = 0  # refused before execution: parse, validation, variables, operation name
    codes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    unexpected_fallbacks: list[str] = field(default_factory=list)

    def summary(self) -> str:
        ran = self.compiled + self.fallbacks
        ratio = self.compiled / ran if ran else 0.0
        return (f"{self.operations} operations: {self.with_data} with data, {self.with_errors} with errors; "
                f"executed {ran}: compiled {self.compiled}, fallbacks {self.fallbacks} ({ratio:.1%} compiled); "
                f"refused before execution {self.neither}; error codes {dict(self.codes.most_common())}; "
                f"kinds {dict(self.kinds.most_common())}")


@dataclass
class Mismatch:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    compiled: dict[str, Any]
    reference: dict[str, Any]

    def message(self) -> str:
        return (f"{show(self.query, self.variables, self.operation_name)}\n"
                f"first difference at {_first_difference(self.compiled, self.reference)}\n"
                f"compiled:  {_shown(self.compiled)}\nreference: {_shown(self.reference)}")


class Engines:
    """The compiled schema and the reference one, executed as the server does (the ASGI view's `execute`)."""

    def __init__(self) -> None:
        self.compiled = build_schema(LIMITS)
        self.reference = build_schema(LIMITS, compiled_plans=False)
        assert self.reference.plans is None
        self.loop = asyncio.new_event_loop()

    def answer(self, schema: Any, archive: Archive, query: str, variables: dict[str, Any] | None,
               operation_name: str | None) -> dict[str, Any]:
        """The JSON body a client would get (or the exception `execute` raised, by type and message)."""
        context = {"request": None, "response": None, ARCHIVE: archive}
        try:
            result = self.loop.run_until_complete(schema.execute(
                query, variable_values=copy.deepcopy(variables), context_value=context, operation_name=operation_name,
            ))
        except Exception as error:  # noqa: BLE001 - compared like an answer
            return {"exception": f"{type(error).__name__}: {error}"}
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return body

    def compare(self, archive: Archive, query: str, variables: dict[str, Any] | None, operation_name: str | None,
                tally: Tally | None = None, kind: str = "") -> Mismatch | None:
        before = self.compiled.plans.stats()
        compiled = self.answer(self.compiled, archive, query, variables, operation_name)
        after = self.compiled.plans.stats()
        reference = self.answer(self.reference, archive, query, variables, operation_name)
        if tally is not None:
            _count(tally, kind, query, compiled, before, after)
        if _json(compiled) != _json(reference):
            return Mismatch(query, variables, operation_name, compiled, reference)
        return None


def _count(tally: Tally, kind: str, query: str, answer: dict[str, Any], before: dict, after: dict) -> None:
    tally.operations += 1
    tally.kinds[kind] += 1
    tally.with_data += answer.get("data") is not None
    tally.with_errors += bool(answer.get("errors"))
    for error in answer.get("errors") or ():
        tally.codes[(error.get("extensions") or {}).get("code", "none")] += 1
    if after["compiled"] > before["compiled"]:
        tally.compiled += 1
    elif after["fallbacks"] > before["fallbacks"]:
        tally.fallbacks += 1
        if not EXPECTED_FALLBACK.search(query):
            tally.unexpected_fallbacks.append(query)
    else:
        tally.neither += 1


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, default=repr)  # key order kept: a response's order is the query's


def _shown(body: dict[str, Any]) -> str:
    text = _json(body)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f"… ({len(text):,} characters)"


def _first_difference(a: Any, b: Any, path: str = "$") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} vs {list(b)}"
        for key in a:
            if _json(a[key]) != _json(b[key]):
                return _first_difference(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if _json(x) != _json(y):
                return _first_difference(x, y, f"{path}[{index}]")
    return f"{path}: {_json(a)[:300]} vs {_json(b)[:300]}"


# -- cutting a mismatch down -----------------------------------------------------------------------------


_CUTTABLE = ("field", "inline_fragment", "fragment_spread", "argument", "directive", "object_field")


def _without(document: DocumentNode, target: int) -> DocumentNode:
    """The document without its `target`-th cuttable node (in visiting order)."""
    seen = [0]

    def cut(_self: Any, *_args: Any) -> Any:
        seen[0] += 1
        return REMOVE if seen[0] - 1 == target else None

    cutter = type("Cutter", (Visitor,), {f"enter_{kind}": cut for kind in _CUTTABLE})
    return visit(document, cutter())


def _cuttable(document: DocumentNode) -> int:
    seen = [0]

    def count(_self: Any, *_args: Any) -> None:
        seen[0] += 1

    visit(document, type("Counter", (Visitor,), {f"enter_{kind}": count for kind in _CUTTABLE})())
    return seen[0]


class _Uses(Visitor):
    """The fragments a document spreads and the variables it reads (outside their definitions)."""

    def __init__(self) -> None:
        super().__init__()
        self.spread: set[str] = set()
        self.used: set[str] = set()

    def enter_fragment_spread(self, node: Any, *_args: Any) -> None:
        self.spread.add(node.name.value)

    def enter_variable_definition(self, *_args: Any) -> Any:
        return SKIP

    def enter_variable(self, node: Any, *_args: Any) -> None:
        self.used.add(node.name.value)


class _DropUnused(Visitor):
    def __init__(self, uses: _Uses) -> None:
        super().__init__()
        self.uses = uses

    def enter_fragment_definition(self, node: Any, *_args: Any) -> Any:
        return REMOVE if node.name.value not in self.uses.spread else None

    def enter_variable_definition(self, node: Any, *_args: Any) -> Any:
        return REMOVE if node.variable.name.value not in self.uses.used else None


def _tidy(document: DocumentNode) -> DocumentNode:
    """Without the fragments no spread names and the variable definitions nothing reads."""
    while True:
        uses = _Uses()
        visit(document, uses)
        tidied = visit(document, _DropUnused(uses))
        if print_ast(tidied) == print_ast(document):
            return document
        document = tidied


def _reduce(engines: Engines, archive: Archive, found: Mismatch, budget: int = 4_000) -> Mismatch:
    """A smaller operation whose answers still differ: selections, arguments, directives cut one at a time."""
    try:
        document = parse(found.query)
    except GraphQLSyntaxError:
        return found
    best = found
    changed = True
    while changed and budget > 0:
        changed = False
        for target in range(_cuttable(document)):
            budget -= 1
            if budget <= 0:
                break
            smaller = _tidy(_without(document, target))
            if not any(isinstance(d, OperationDefinitionNode) for d in smaller.definitions):
                continue
            text = print_ast(smaller)
            names = _defined_variables(smaller)
            variables = {k: v for k, v in (best.variables or {}).items() if k in names} if best.variables else best.variables
            mismatch = engines.compare(archive, text, variables, best.operation_name)
            if mismatch is not None:
                document, best, changed = smaller, mismatch, True
                break
    return best


def _defined_variables(document: DocumentNode) -> set[str]:
    return {definition.variable.name.value for node in document.definitions if isinstance(node, OperationDefinitionNode)
            for definition in node.variable_definitions}


# -- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engines() -> Iterator[Engines]:
    found = Engines()
    if found.compiled.plans is None:
        pytest.skip(f"compiled plans off: {why_off()}")
    yield found
    found.loop.close()


@pytest.fixture(scope="module")
def archives(bundled_store: EventStore) -> dict[str, Archive]:
    return {"bundled": Archive.from_documents(bundled_store.documents()),
            "generated": Archive(generate_events(300, GENERATED_SEED))}


@pytest.fixture(scope="module")
def pools(engines: Engines, archives: dict[str, Archive]) -> dict[str, Pool]:
    found = {}
    for name, archive in archives.items():
        pool = Pool.of(archive)

        def run(query: str, variables: dict[str, Any], archive: Archive = archive) -> dict[str, Any]:
            body = engines.answer(engines.reference, archive, query, variables, None)
            assert "errors" not in body and body.get("data"), body
            return body["data"]

        pool.harvest(run)
        found[name] = pool
    return found


# -- the property ---------------------------------------------------------------------------------------


@pytest.mark.timeout(300 + EXAMPLES // 4 + 2 * SHRINK_SECONDS)
@pytest.mark.parametrize("corpus", ["bundled", "generated"])
def test_compiled_plans_answer_what_graphql_core_answers(corpus: str, engines: Engines, archives: dict[str, Archive],
                                                          pools: dict[str, Pool], record_property: Any) -> None:
    archive, tally = archives[corpus], Tally()
    failures: dict[tuple[str, str, str | None], Mismatch] = {}  # the operations that failed, by text and values
    first_failure: list[float] = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=False,
              phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),  # no explain: it traces each line
              suppress_health_check=list(HealthCheck))
    @given(case=all_cases(pools[corpus]))
    def check(case: Any) -> None:
        for query, variables, operation_name in case.operations():
            key = (query, _json(variables), operation_name)
            mismatch = failures.get(key)
            if mismatch is None:
                if first_failure and time.monotonic() - first_failure[0] > SHRINK_SECONDS:
                    return  # shrunk for long enough: only the failures found so far fail, so the smallest is kept
                mismatch = engines.compare(archive, query, variables, operation_name, tally, case.kind)
                if mismatch is not None:
                    failures[key] = mismatch
                    first_failure[:] = first_failure or [time.monotonic()]
            if mismatch is not None:  # one raise for both: hypothesis tells failures apart by where they are raised
                raise AssertionError("compiled and reference answers differ\n" + mismatch.message())

    try:
        check()
    except AssertionError as error:
        if not failures:
            raise
        shrunk = next((m for m in failures.values() if m.message() in str(error)), list(failures.values())[-1])
        reduced = _reduce(engines, archive, shrunk)
        raise AssertionError(f"compiled and reference answers differ ({corpus} archive)\n\n"
                             f"== as hypothesis shrank it ==\n{shrunk.message()}\n\n"
                             f"== cut down ==\n{reduced.message()}") from None
    print(f"{corpus}: {tally.summary()}")
    record_property("tally", tally.summary())
    assert tally.operations >= EXAMPLES, tally.summary()
    assert tally.with_data > tally.operations // 3, tally.summary()  # many operations find data, not only errors
    assert tally.compiled > 0, tally.summary()
    assert tally.compiled >= 0.9 * (tally.compiled + tally.fallbacks), tally.summary()
    assert not tally.unexpected_fallbacks, (
        f"{len(tally.unexpected_fallbacks)} operations ran through the reference path; the first:\n"
        + tally.unexpected_fallbacks[0]
    )


# -- named shapes -----------------------------------------------------------------------------------------


def _same(engines: Engines, archive: Archive, query: str, variables: dict[str, Any] | None = None,
          operation_name: str | None = None) -> tuple[dict[str, Any], str]:
    """The answer, asserted equal on both engines, and how the compiled schema ran it."""
    before = engines.compiled.plans.stats()
    mismatch = engines.compare(archive, query, variables, operation_name)
    after = engines.compiled.plans.stats()
    assert mismatch is None, mismatch.message()
    how = ("compiled" if after["compiled"] > before["compiled"]
           else "fallback" if after["fallbacks"] > before["fallbacks"] else "neither")
    return engines.answer(engines.reference, archive, query, variables, operation_name), how


@pytest.mark.parametrize("path", sorted(EXAMPLES_DIR.glob("*.graphql")), ids=lambda path: path.stem)
def test_the_schema_examples_answer_the_same(path: Path, engines: Engines, archives: dict[str, Archive]) -> None:
    query, variables = example(path)
    answer, how = _same(engines, archives["bundled"], query, variables)
    assert "errors" not in answer and answer["data"], answer
    assert all(value is not None for value in answer["data"].values()), answer  # the variables name real things
    assert how == "compiled"
    _same(engines, archives["generated"], query, variables)  # the same plan, another archive
    assert _same(engines, archives["bundled"], query, variables) == (answer, "compiled")


def test_a_field_error_under_non_null_parents_in_lists_nulls_the_nearest_nullable_one(
        engines: Engines, archives: dict[str, Archive]) -> None:
    archive = archives["bundled"]
    linked = [path for path in archive.ascending if any(archive.resolved[path])][:2]
    ids = [to_global_id("Event", path) for path in linked] + [to_global_id("Tag", next(iter(archive.tags)))]
    # `nodes` holds nullable items: each event is nulled by its own error, the tag is answered
    answer, how = _same(engines, archive, """query Nodes($ids: [ID!]!) {
      nodes(ids: $ids) { __typename ... on Event { headline relatedBy(first: -1) { totalCount } } ... on Tag { name } }
    }""", {"ids": ids})
    assert how == "compiled"
    assert answer["data"]["nodes"][:2] == [None, None] and answer["data"]["nodes"][2]["__typename"] == "Tag"
    assert [error["path"] for error in answer["errors"]] == [["nodes", 0, "relatedBy"], ["nodes", 1, "relatedBy"]]
    assert {error["extensions"]["code"] for error in answer["errors"]} == {"BAD_USER_INPUT"}
    # a link's `event` is nullable: the error under Event.relatedBy (non-null) nulls it, in every link
    answer, _ = _same(engines, archive, """query Links($path: String!) {
      event(path: $path) { headline related { headline event { path relatedBy(first: 101) { totalCount } } } }
    }""", {"path": linked[0]})
    related = answer["data"]["event"]["related"]
    assert related and all(link["event"] is None for link in related)
    assert all(error["path"][:3] == ["event", "related", error["path"][2]] for error in answer["errors"])
    assert len(answer["errors"]) == sum(1 for target in archive.resolved[linked[0]] if target)
    # non-null all the way up (edges, node, relatedBy, the root `events`): no data at all
    answer, _ = _same(engines, archive, """{
      stats { events }
      events(first: 3) { edges { node { headline relatedBy(after: "!!!") { totalCount } } } }
    }""")
    assert answer["data"] is None
    assert [error["path"] for error in answer["errors"]] == [["events", "edges", 0, "node", "relatedBy"]]
    # an error inside a list of non-null tags of a non-null event in a search hit
    answer, _ = _same(engines, archive, """{
      search(text: "syria", first: 2) { totalCount edges { node { tags { name relatedTags(first: -1) { count } } } } }
      tag(name: "Syria") { name }
    }""")
    assert answer["data"] is None and answer["errors"]


def test_skip_and_include_with_a_variable_give_both_answers_from_one_text(
        engines: Engines, archives: dict[str, Archive]) -> None:
    archive = archives["bundled"]
    query = """query Page($v: Boolean!, $first: Int = 2) {
      events(first: $first) {
        totalCount
        edges { cursor @skip(if: $v) node { headline @include(if: $v) ...Dates @skip(if: $v) } }
      }
      ... @include(if: $v) { stats { events } }
    }
    fragment Dates on Event { date path }"""
    answers = {}
    for value in (True, False, True, False):
        answer, how = _same(engines, archive, query, {"v": value})
        assert how == "compiled" and "errors" not in answer
        answers.setdefault(value, answer)
        assert answers[value] == answer
    shown = answers[True]["data"]
    assert list(shown) == ["events", "stats"]
    assert list(shown["events"]["edges"][0]) == ["node"] and list(shown["events"]["edges"][0]["node"]) == ["headline"]
    hidden = answers[False]["data"]
    assert list(hidden) == ["events"]
    assert list(hidden["events"]["edges"][0]) == ["cursor", "node"]
    assert list(hidden["events"]["edges"][0]["node"]) == ["date", "path"]
    answer, _ = _same(engines, archive, query, {"v": True, "first": 0})
    assert answer["data"]["events"]["edges"] == []


def test_one_text_with_two_operations_runs_the_one_named(engines: Engines, archives: dict[str, Archive]) -> None:
    archive = archives["bundled"]
    query = """query A($n: Int) { events(first: $n) { edges { node { ...Head } } } }
    query B($n: Int!) { tags(first: $n) { edges { node { name } } } }
    fragment Head on Event { headline }"""
    for name, variables in (("A", {"n": 2}), ("B", {"n": 3}), ("A", {"n": 1})):
        answer, how = _same(engines, archive, query, variables, name)
        assert how == "compiled" and "errors" not in answer and list(answer["data"]) == [{"A": "events", "B": "tags"}[name]]
    answer, how = _same(engines, archive, query, {"n": 1}, None)
    assert how == "neither" and answer["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"


def test_every_combination_of_five_conditions_answers_the_same(engines: Engines, archives: dict[str, Archive]) -> None:
    """Plans are kept per combination of `@skip`/`@include` values (a bounded number per document): 32 here."""
    archive = archives["generated"]
    query = """query Flags($a: Boolean!, $b: Boolean!, $c: Boolean!, $d: Boolean!, $e: Boolean = true) {
      events(first: 2) @include(if: $a) {
        edges { node { headline @skip(if: $b) ...More @include(if: $c) ... on Event @skip(if: $d) { path } } }
      }
      stats @include(if: $e) { events }
      tags(first: 1) @skip(if: $a) { totalCount }
    }
    fragment More on Event { date tags @skip(if: $e) { name } }"""
    seen = set()
    for _round in range(2):  # the second round finds the plans kept by the first
        for bits in range(32):
            variables = {name: bool(bits >> index & 1) for index, name in enumerate("abcde")}
            answer, how = _same(engines, archive, query, variables)
            assert how == "compiled" and "errors" not in answer, answer
            seen.add(_json(answer))
    assert len(seen) > 8
