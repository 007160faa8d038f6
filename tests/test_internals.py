"""The switch over our reach into Strawberry's and graphql-core's internals (gql/api/internals.py).

With compiled plans on and off, the schema answers the same: the examples with their variables,
paging back and forth, and each kind of error (tests/test_plans_differential.py compares thousands
of generated operations). Off, it is Strawberry's own schema and executor. A real server started
with the switch off answers the nested example as the in-process app (plans on) does. Installed
versions other than the ones the plans were written for turn them off, with one log line. Batches
are checked through the view's public `parse_http_body`, Strawberry's own batch checks still following.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from newsgraph.api import ARCHIVE, QueryLimits, build_schema, internals
from newsgraph.api.plans import PlannedExecution
from newsgraph.archive import Archive
from newsgraph.load import load_files
from newsgraph.store import EventStore
from tests.api_listings import EVERYTHING
from tests.conftest import BUNDLED_NEWS
from tests.drivers import REPO, ApiClient, example, server_process

EXAMPLES = sorted((REPO / "schema" / "examples").glob("*.graphql"))
PAGE = ("query($first: Int, $after: String, $last: Int, $before: String) { "
        "events(first: $first, after: $after, last: $last, before: $before) { totalCount "
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { path headline } } } }")
TOO_DEEP = "{ events(first: 1) { edges { node { " + "related { event { " * 8 + "path" + " } }" * 8 + " } } } }"
TWO_OPERATIONS = "query A { stats { events } } query B { stats { tags } }"
# (name, query, variables, operation name): each must fail, and fail the same way both ways
ERRORS = [
    ("bad cursor", '{ events(first: 2, after: "not-a-cursor") { edges { cursor } } }', None, None),
    ("too deep", TOO_DEEP, None, None),
    ("page too large", "{ events(first: 100000) { totalCount } }", None, None),
    ("unknown field", "{ events(first: 2) { edges { nope } } }", None, None),
    ("syntax", "{ events(first: ", None, None),
    ("several operations, none named", TWO_OPERATIONS, None, None),
    ("unknown operation", TWO_OPERATIONS, None, "C"),
    ("bad variable", "query($n: Int!) { events(first: $n) { totalCount } }", {"n": "two"}, None),
    ("mutation without a token", 'mutation { deleteEvent(path: "/news/2015/09/1/x.md") { deleted } }', None, None),
    ("subscription over execute", "subscription { eventsChanged { path } }", None, None),
]


@contextlib.contextmanager
def _switch(value: str | None) -> Iterator[None]:
    """NEWSGRAPH_LIBRARY_HOOKS set to `value` (None: unset) for the block."""
    with pytest.MonkeyPatch.context() as patch:
        if value is None:
            patch.delenv(internals.SWITCH, raising=False)
        else:
            patch.setenv(internals.SWITCH, value)
        yield


with _switch(None):
    WHY_NOT_ON = internals.why_off()  # None here, where the installed versions are the ones pinned
needs_plans = pytest.mark.skipif(WHY_NOT_ON is not None, reason=f"compiled plans off: {WHY_NOT_ON}")


def _build(switch: str | None) -> strawberry.Schema:
    with _switch(switch):
        return build_schema(QueryLimits(max_cost=None))  # EVERYTHING costs more than the default allows


@pytest.fixture(scope="module")
def schemas() -> dict[str, strawberry.Schema]:
    return {"on": _build(None), "off": _build("0")}


@pytest.fixture(scope="module")
def context(bundled_store: EventStore) -> dict[str, Any]:
    archive = Archive.from_documents(bundled_store.documents())
    return {"request": None, "response": None, ARCHIVE: archive}


def _answer(schema: strawberry.Schema, query: str, context: dict[str, Any], variables: dict[str, Any] | None = None,
            operation_name: str | None = None) -> tuple[Any, list[dict[str, Any]]]:
    """The data and the errors (as a client sees them) of one execution; what it raised, for a request
    Strawberry refuses by raising (the server answers 400: an unknown operation, a subscription)."""
    try:
        result = asyncio.run(schema.execute(query, variable_values=variables, context_value=context,
                                            operation_name=operation_name))
    except Exception as error:  # noqa: BLE001 - compared, not handled
        return None, [{"raised": type(error).__name__, "message": str(error)}]
    return result.data, [error.formatted for error in result.errors or []]


def _is_plain_strawberry(schema: strawberry.Schema) -> bool:
    """No compiled plans: Strawberry's own executor runs every operation."""
    return schema.plans is None and schema.execution_context_class is StrawberryGraphQLCoreExecutionContext


def test_switched_off_the_schema_is_strawberrys_own(schemas: dict[str, strawberry.Schema]) -> None:
    assert _is_plain_strawberry(schemas["off"])


@needs_plans
def test_switched_on_queries_run_through_plans(schemas: dict[str, strawberry.Schema], context: dict[str, Any]) -> None:
    schema = schemas["on"]
    assert not _is_plain_strawberry(schema) and issubclass(schema.execution_context_class, PlannedExecution)
    before = schema.plans.stats()
    _answer(schema, PAGE, context, {"first": 2})
    assert schema.plans.stats()["compiled"] == before["compiled"] + 1


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_the_examples_answer_the_same_on_and_off(schemas: dict[str, strawberry.Schema], context: dict[str, Any],
                                                 path: Path) -> None:
    query, variables = example(path)
    on = _answer(schemas["on"], query, context, variables)
    assert on == _answer(schemas["off"], query, context, variables)
    data, errors = on
    assert not errors and data and all(value not in (None, [], {}) for value in data.values()), on


def test_a_query_of_everything_answers_the_same_on_and_off(schemas: dict[str, strawberry.Schema],
                                                           context: dict[str, Any]) -> None:
    on = _answer(schemas["on"], EVERYTHING, context)
    assert on == _answer(schemas["off"], EVERYTHING, context)
    assert not on[1] and on[0]["events"]["edges"]


def test_paging_forward_and_back_answers_the_same_on_and_off(schemas: dict[str, strawberry.Schema],
                                                             context: dict[str, Any]) -> None:
    pages = {}
    for name, schema in schemas.items():
        first = _answer(schema, PAGE, context, {"first": 5})
        second = _answer(schema, PAGE, context, {"first": 5, "after": first[0]["events"]["pageInfo"]["endCursor"]})
        back = _answer(schema, PAGE, context, {"last": 3, "before": second[0]["events"]["pageInfo"]["startCursor"]})
        pages[name] = [first, second, back]
    assert pages["on"] == pages["off"]
    first, second, back = (data["events"] for data, errors in pages["on"] if not errors)
    assert len(first["edges"]) == len(second["edges"]) == 5 and back["edges"] == first["edges"][2:]


@pytest.mark.parametrize(("query", "variables", "operation_name"), [case[1:] for case in ERRORS],
                         ids=[case[0] for case in ERRORS])
def test_errors_are_the_same_on_and_off(schemas: dict[str, strawberry.Schema], context: dict[str, Any], query: str,
                                        variables: dict[str, Any] | None, operation_name: str | None) -> None:
    on = _answer(schemas["on"], query, context, variables, operation_name)
    assert on == _answer(schemas["off"], query, context, variables, operation_name)
    assert on[1] and all(error["message"] for error in on[1]), on


def test_named_operations_run_the_one_named_on_and_off(schemas: dict[str, strawberry.Schema],
                                                      context: dict[str, Any]) -> None:
    on = _answer(schemas["on"], TWO_OPERATIONS, context, operation_name="B")
    assert on == _answer(schemas["off"], TWO_OPERATIONS, context, operation_name="B")
    assert not on[1] and set(on[0]["stats"]) == {"tags"}


@pytest.mark.slow
def test_a_server_with_the_switch_off_answers_as_the_app_does(api: ApiClient, tmp_path: Path) -> None:
    """A real uvicorn process with NEWSGRAPH_LIBRARY_HOOKS=0 against the in-process app (plans on)."""
    db = tmp_path / "newsgraph.json"
    load_files(EventStore(db), [BUNDLED_NEWS])
    query, variables = example(REPO / "schema" / "examples" / "nested.graphql")
    body = {"query": query, "variables": variables}
    with server_process("--db", str(db), "--data", str(tmp_path / "none"), env={internals.SWITCH: "0"}) as server:
        answered = httpx.post(server.url + "/graphql", json=body, timeout=30)
        refused = httpx.post(server.url + "/graphql", json={"query": TOO_DEEP}, timeout=30)
        log = server.log()
    assert answered.status_code == 200 and "errors" not in answered.json()
    assert answered.json() == api.request("POST", "/graphql", json=body).json()
    assert answered.json()["data"]["event"]["related"]
    assert refused.json() == api.request("POST", "/graphql", json={"query": TOO_DEEP}).json()
    assert log.count(f"compiled plans off: {internals.SWITCH}=0") == 1, log


@pytest.mark.parametrize(("value", "on"), [("0", False), ("off", False), (" False ", False), ("no", False),
                                           ("1", True), ("", True), ("on", True)])
def test_the_switch_reads_its_variable(monkeypatch: pytest.MonkeyPatch, value: str, on: bool) -> None:
    monkeypatch.setenv(internals.SWITCH, value)
    assert (internals.why_off() is None) is (on and WHY_NOT_ON is None)


@pytest.mark.parametrize(("name", "installed"), [("strawberry-graphql", "0.342.0"), ("graphql-core", "3.3.3"),
                                                 ("graphql-core", None)])
def test_other_versions_turn_the_plans_off_saying_so_once(monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture, name: str,
                                                          installed: str | None) -> None:
    monkeypatch.delenv(internals.SWITCH, raising=False)
    monkeypatch.setitem(internals.INSTALLED, name, installed)
    monkeypatch.setattr(internals, "_said", set())
    with caplog.at_level(logging.WARNING, logger="newsgraph"):
        schemas = [build_schema(), build_schema()]
    assert all(_is_plain_strawberry(schema) for schema in schemas)
    said = [record.getMessage() for record in caplog.records if "compiled plans off" in record.getMessage()]
    assert said == [f"compiled plans off: installed {name} {installed} (written for {internals.WRITTEN_FOR[name]}); "
                    "graphql-core executes every query (same answers, slower)"]


def test_pyproject_pins_exactly_what_the_plans_were_written_for() -> None:
    """Upgrading either library means re-validating the plans (docs/decisions.md, Dependencies) and then WRITTEN_FOR."""
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert [f"{name}=={wanted}" for name, wanted in internals.WRITTEN_FOR.items()] == \
           [dependency for dependency in dependencies if dependency.split("=")[0] in internals.WRITTEN_FOR]
    assert internals.INSTALLED == internals.WRITTEN_FOR  # this environment is what pyproject asks for


@pytest.mark.parametrize(("batch", "message"), [
    ([{"query": "{ stats { events } }"}] * 11, "a batch of 11 operations; at most 10 are allowed"),
    ([{"query": "{ stats { events } }"}, 5], "operation 2 of the batch: must be a JSON object with a `query`"),
    ([{"query": 1}], "operation 1 of the batch: `query` must be a string or null"),
    ([{"query": "{ stats { events } }", "variables": []}], "operation 1 of the batch: `variables` must be an object"),
])
def test_batches_are_checked_without_strawberrys_private_hook(api: ApiClient, batch: list[Any], message: str) -> None:
    """The view checks a batch in `parse_http_body`, not in an override of Strawberry's `_validate_batch_request`."""
    refused = api.request("POST", "/graphql", json=batch)
    assert refused.status_code == 400 and message in refused.json()["errors"][0]["message"], refused.text


def test_a_batch_that_asks_for_a_stream_gets_strawberrys_own_refusal(api: ApiClient) -> None:
    refused = api.request("POST", "/graphql", json=[{"query": "{ stats { events } }"}] * 2,
                          headers={"accept": "text/event-stream"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["message"] == "Batching is not supported for SSE"
    answered = api.request("POST", "/graphql", json=[{"query": "{ stats { events } }"}] * 2)
    assert [answer["data"]["stats"]["events"] for answer in answered.json()] == [214, 214]
