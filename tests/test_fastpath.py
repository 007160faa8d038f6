"""The direct resolvers and lean resolve info of gql/api/fastpath.py answer exactly what Strawberry's chain does.

Their speed is measured by bench/ (the engine scenario), not here. Skipped while internals.py keeps
them off; tests/test_internals.py compares the schema with them on and off.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from newsgraph.api import ARCHIVE, QueryLimits, build_schema
from newsgraph.api.internals import why_off
from tests.api_listings import EVERYTHING

if why_off() is not None:  # the hooks are not in use (off, or other library versions): tests/test_internals.py
    pytest.skip(f"library hooks off: {why_off()}", allow_module_level=True)

from newsgraph.api.fastpath import LeanInfoExecutionContext  # noqa: E402 - after the skip: it imports private names
from newsgraph.api.mutation import Mutation
from newsgraph.api.query import Query
from newsgraph.api.subscription import Subscription
from newsgraph.api.types import Day, Event, Publisher, Tag
from newsgraph.archive import Archive
from newsgraph.store import EventStore


@pytest.fixture(scope="module")
def context(bundled_store: EventStore) -> dict[str, Any]:
    archive = Archive.from_documents(bundled_store.documents())
    return {"request": None, "response": None, ARCHIVE: archive}


def _execute(schema: strawberry.Schema, query: str, context: dict[str, Any], variables: dict[str, Any] | None = None) -> Any:
    result = asyncio.run(schema.execute(query, variable_values=variables, context_value=context))
    assert not result.errors, result.errors
    return result.data


def _plain_strawberry() -> strawberry.Schema:
    """The same types through Strawberry's own resolver chain and execution context."""
    return strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription, types=[Event, Tag, Day, Publisher])


def test_answers_as_strawberrys_own_resolvers_do(context: dict[str, Any]) -> None:
    # No cost limit: EVERYTHING is costed at the most its 30 events may hold (385,663 fields), over the default
    ours = _execute(build_schema(QueryLimits(max_cost=None)), EVERYTHING, context)
    assert ours == _execute(_plain_strawberry(), EVERYTHING, context)
    assert ours["events"]["edges"] and any(edge["node"]["related"] for edge in ours["events"]["edges"])


def _resolvers(schema: strawberry.Schema) -> dict[str, str]:
    """`Type.field` → the qualified name of its graphql-core resolver."""
    return {
        f"{graphql_type.name}.{name}": getattr(field.resolve, "__qualname__", "")
        for graphql_type in schema._schema.type_map.values()
        if isinstance(graphql_type, GraphQLObjectType) and not graphql_type.name.startswith("__")
        for name, field in graphql_type.fields.items()
    }


def test_only_plain_fields_get_direct_resolvers() -> None:
    resolvers = _resolvers(build_schema())
    assert resolvers["Source.url"].startswith("_attribute.")  # a dataclass field
    assert resolvers["Tag.name"].startswith("_attribute.")  # read off the archive's tag record
    assert resolvers["EventConnection.pageInfo"].startswith("_attribute.")  # python name page_info
    assert resolvers["Event.path"] == resolvers["Event.tags"] == resolvers["RelatedEvent.event"] == "_direct.<locals>.resolve"
    assert resolvers["Source.publisher"] == "_direct.<locals>.resolve_with_arguments"  # asks for `info`
    assert resolvers["Query.events"] == resolvers["Tag.relatedTags"] == "_direct.<locals>.resolve_with_arguments"
    for name in ("Mutation.importEvents", "Mutation.deleteEvent", "Subscription.eventsChanged"):  # async: Strawberry's chain
        assert not resolvers[name].startswith(("_attribute.", "_direct.")), name


class _CheckedInfo(LeanInfoExecutionContext):
    """Builds every resolve info both ways and insists they are the same tuple."""

    built = 0

    def build_resolve_info(self, *args: Any) -> Any:
        lean = super().build_resolve_info(*args)
        theirs = StrawberryGraphQLCoreExecutionContext.build_resolve_info(self, *args)
        assert type(lean) is type(theirs) and lean == theirs
        _CheckedInfo.built += 1
        return lean


def test_the_lean_resolve_info_is_strawberrys(context: dict[str, Any]) -> None:
    schema = strawberry.Schema(query=Query, types=[Event, Tag, Day, Publisher], execution_context_class=_CheckedInfo)
    query = "query Q($n: Int) { events(first: $n) { edges { node { path tags { name } } } } }"
    result = asyncio.run(schema.execute(query, variable_values={"n": 3}, context_value=context))
    assert not result.errors and _CheckedInfo.built > 3


class _Shout(SchemaExtension):
    """A schema extension with a per-field `resolve` hook: upper-cases every string."""

    def resolve(self, _next, root, info, *args, **kwargs) -> Any:  # noqa: ANN001 - Strawberry's hook
        value = _next(root, info, *args, **kwargs)
        return value.upper() if isinstance(value, str) else value


def test_resolve_hooks_still_wrap_direct_resolvers(context: dict[str, Any]) -> None:
    schema = build_schema()
    assert schema._get_middleware_manager(schema.get_extensions()) is None  # no hook: no per-field wrapper
    schema.extensions = (*schema.extensions, _Shout)
    data = _execute(schema, "{ events(first: 2) { edges { node { path sources { url } } } } }", context)
    node = data["events"]["edges"][0]["node"]
    assert node["path"].startswith("/NEWS/") and all(source["url"].isupper() for source in node["sources"])


def test_served_types_skip_is_type_of_and_nodes_still_resolve(context: dict[str, Any]) -> None:
    """No `is_type_of` call per completed object; `nodes` tells the types apart by class (each type is
    also fetched by id over HTTP in test_api_fields)."""
    schema = build_schema()
    assert not [t.name for t in schema._schema.type_map.values() if isinstance(t, GraphQLObjectType) and t.is_type_of]
    tag = next(iter(context[ARCHIVE].tags.values()))
    data = _execute(schema, f'{{ tag(name: "{tag.name}") {{ id }} events(first: 1) {{ edges {{ node {{ id }} }} }} }}', context)
    ids = [data["tag"]["id"], data["events"]["edges"][0]["node"]["id"]]
    nodes = _execute(schema, "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", context, {"ids": ids})["nodes"]
    assert nodes == [{"__typename": "Tag", "id": ids[0]}, {"__typename": "Event", "id": ids[1]}]
