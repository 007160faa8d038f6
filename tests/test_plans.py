"""Compiled plans (gql/api/plans/): which fields they read directly, what falls back, how plans are cached, and
that errors come out as graphql-core gives them. Answers are compared with graphql-core's own execution of
the same schema (plans off); tests/test_plans_differential.py does that for thousands of generated queries.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from newsgraph.api import ARCHIVE, QueryLimits, build_schema
from newsgraph.api.ids import to_global_id
from newsgraph.api.internals import why_off
from newsgraph.archive import Archive
from newsgraph.store import EventStore
from tests.api_listings import EVERYTHING
from tests.drivers import ApiClient

pytestmark = pytest.mark.skipif(why_off() is not None, reason=f"compiled plans off: {why_off()}")


@pytest.fixture(scope="module")
def context(bundled_store: EventStore) -> dict[str, Any]:
    return {"request": None, "response": None, ARCHIVE: Archive.from_documents(bundled_store.documents())}


def _run(schema: strawberry.Schema, query: str, context: dict[str, Any], variables: dict[str, Any] | None = None
         ) -> tuple[Any, list[dict[str, Any]]]:
    result = asyncio.run(schema.execute(query, variable_values=variables, context_value=context))
    return result.data, [error.formatted for error in result.errors or []]


def _both(query: str, context: dict[str, Any], variables: dict[str, Any] | None = None) -> tuple[Any, Any, dict]:
    """(compiled answer, reference answer, the compiled schema's counters after the run)."""
    compiled, reference = build_schema(QueryLimits(max_cost=None)), build_schema(QueryLimits(max_cost=None),
                                                                                compiled_plans=False)
    ours = _run(compiled, query, context, variables)
    return ours, _run(reference, query, context, variables), compiled.plans.stats()


def test_every_query_field_has_a_direct_reader() -> None:
    readers = build_schema().plans.readers
    assert readers["Source", "url"].plain is not None  # an attribute, read with attrgetter
    assert readers["Event", "headline"].plain is not None  # a method of the event alone
    assert readers["Query", "events"].plain is None and readers["Source", "publisher"].info_name == "info"
    for name in ("importEvents", "deleteEvent"):  # async, writing: graphql-core runs them
        assert ("Mutation", name) not in readers
    assert ("Subscription", "eventsChanged") not in readers


def test_a_query_of_every_field_answers_as_graphql_core_does(context: dict[str, Any]) -> None:
    ours, reference, stats = _both(EVERYTHING, context)
    assert ours == reference and not ours[1] and ours[0]["events"]["edges"]
    assert stats["compiled"] == 1 and stats["fallbacks"] == 0


@pytest.mark.parametrize("query", [
    "{ __schema { queryType { name } } }",  # introspection: no reader for __schema
    '{ events(first: 1) { totalCount } __type(name: "Event") { name } }',  # one introspection field: all falls back
])
def test_what_plans_do_not_cover_falls_back_and_is_counted(context: dict[str, Any], query: str) -> None:
    ours, reference, stats = _both(query, context)
    assert ours == reference
    assert stats == {"compiled": 0, "fallbacks": 1, "cached": stats["cached"]}


class _Shout(SchemaExtension):
    """A schema extension with a per-field `resolve` hook: upper-cases every string."""

    def resolve(self, _next, root, info, *args, **kwargs) -> Any:  # noqa: ANN001 - Strawberry's hook
        value = _next(root, info, *args, **kwargs)
        return value.upper() if isinstance(value, str) else value


def test_an_extension_resolving_fields_gets_graphql_cores_execution(context: dict[str, Any]) -> None:
    schema = build_schema()
    schema.extensions = (*schema.extensions, _Shout)
    data, errors = _run(schema, "{ events(first: 2) { edges { node { path sources { url } } } } }", context)
    node = data["events"]["edges"][0]["node"]
    assert not errors and node["path"].startswith("/NEWS/") and all(s["url"].isupper() for s in node["sources"])
    assert schema.plans.stats()["fallbacks"] == 1


def test_one_plan_per_document_and_per_skip_include_values(context: dict[str, Any]) -> None:
    schema = build_schema()
    query = "query($s: Boolean!, $n: Int) { events(first: $n) { edges { node { path headline @skip(if: $s) } } } }"
    answers = [_run(schema, query, context, {"s": skip, "n": n}) for skip in (True, False) for n in (1, 2)]
    assert [len(data["events"]["edges"]) for data, _ in answers] == [1, 2, 1, 2]
    assert ["headline" in data["events"]["edges"][0]["node"] for data, _ in answers] == [False, False, True, True]
    family = schema.plans._cache.get((query, None))
    assert schema.plans.stats()["cached"] == 1 and len(family.plans) == 2  # page sizes share a plan


def test_nodes_of_every_type_resolve_through_the_interface(context: dict[str, Any]) -> None:
    query = ('{ tag(name: "Syria") { id } events(first: 1) { edges { node { id } } } '
             'publishers(first: 1) { edges { node { id } } } days { id } }')
    ids_data, errors = _run(build_schema(), query, context)
    assert not errors, errors
    ids = [ids_data["tag"]["id"]] + [ids_data[name]["edges"][0]["node"]["id"] for name in ("events", "publishers")]
    ids.append(ids_data["days"][0]["id"])
    ours, reference, stats = _both("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Tag { name } "
                                   "... on Event { headline } ... on Day { eventCount } ... on Publisher { domain } } }",
                                   context, {"ids": [*ids, to_global_id("Event", "/news/2015/09/1/gone.md")]})
    assert ours == reference and stats["compiled"] == 1
    assert [node and node["__typename"] for node in ours[0]["nodes"]] == ["Tag", "Event", "Publisher", "Day", None]


@pytest.mark.parametrize("query", [
    '{ events(first: 2, after: "bad") { totalCount } stats { events } }',  # a non-null root field fails: no data
    '{ a: events(first: 1) { totalCount } tag(name: "Syria") { relatedTags(first: 500) { count } name } }',
    '{ events(first: 1) { edges { node { relatedBy(first: -1) { totalCount } path } } } }',  # nulls up to a list item
    '{ search(text: "") { totalCount } }',
])
def test_errors_are_located_and_propagate_as_graphql_core_does(context: dict[str, Any], query: str) -> None:
    ours, reference, _stats = _both(query, context)
    assert ours == reference and ours[1] and all(error["path"] and error["extensions"]["code"] for error in ours[1])


def test_healthz_counts_what_plans_answered_and_what_fell_back(api: ApiClient) -> None:
    before = api.request("GET", "/healthz").json()["engine"]
    fresh = f"a{uuid.uuid4().hex}"  # an alias no request sent before: executed, not answered from the response cache
    for query in (f"{{ {fresh}: stats {{ events }} }}", f"{{ {fresh}: __schema {{ queryType {{ name }} }} }}"):
        assert "errors" not in api.request("POST", "/graphql", json={"query": query}).json()
    after = api.request("GET", "/healthz").json()["engine"]
    assert after["compiledPlans"] is True
    assert (after["compiled"] - before["compiled"], after["fallbacks"] - before["fallbacks"]) == (1, 1)


def test_a_null_condition_for_include_is_the_clients_error_at_its_field(context: dict[str, Any]) -> None:
    query = "query($v: Boolean = true) { stats { events } events(first: 2) { edges { node { path @include(if: $v) } } } }"
    ours, reference, _stats = _both(query, context, {"v": None})
    assert ours == reference and ours[0] is None  # the node is non-null all the way up to `events`
    assert [(error["path"], error["extensions"]["code"]) for error in ours[1]] == [
        (["events", "edges", 0, "node"], "BAD_USER_INPUT")]
