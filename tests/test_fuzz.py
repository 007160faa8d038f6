"""Schemathesis fuzzing of /graphql: generated queries for every root field, and not one server error.

Cases are valid queries (positive) and queries with values that break the schema
(negative), half and half; then the valid ones again, each body broken by a lone
surrogate or by bytes that are not UTF-8, which must get a coded 400. The check is
schemathesis's `not_a_server_error`: a failure is any 5xx, and any error
entry with a `path` whose `extensions.code` is not BAD_USER_INPUT. (Its other GraphQL
check, "positive data acceptance", calls every refused query a failure, including a
page size over the cap or a mutation without a token: that is the API working.)

The suite runs at least NEWSGRAPH_FUZZ_CASES cases in all (default 300), spread
over the root fields; the full run is

    NEWSGRAPH_FUZZ_CASES=2000 pytest tests/test_fuzz.py -s

(schemathesis's own pytest plugin, `from_fixture`, does not run on pytest 9, so
each root field is one hypothesis test over schemathesis's case strategy.)
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from newsgraph.api import build_schema
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.drivers import ApiClient

TOTAL_CASES = int(os.environ.get("NEWSGRAPH_FUZZ_CASES", "300"))


def _operation_labels() -> list[str]:
    """The operations schemathesis generates for: one per Query and Mutation field (`Query.events`, …)."""
    sdl = graphql.build_schema(build_schema().as_str())
    roots = [root for root in (sdl.query_type, sdl.mutation_type) if root is not None]
    return [f"{root.name}.{name}" for root in roots for name in root.fields]


LABELS = _operation_labels()
# 10% over the even share: hypothesis ends early on a field with few distinct queries (`stats`)
CASES_PER_OPERATION = math.ceil(TOTAL_CASES * 1.1 / len(LABELS))
ran: Counter[str] = Counter()
statuses: Counter[int] = Counter()


@pytest.fixture(scope="module")
def operations(bundled_store: EventStore) -> dict:
    """The served schema's operations, read by introspection from the app (mutations off: no token)."""
    app = create_app(bundled_store, ServerSettings(reload_interval=0))
    schema = schemathesis.graphql.from_asgi("/graphql", app)
    return {result.ok().label: result.ok() for result in schema.get_all_operations()}


@pytest.mark.parametrize("label", LABELS)
def test_no_query_causes_a_server_error(operations: dict, label: str) -> None:
    operation = operations[label]

    @given(case=operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE))
    @settings(
        max_examples=CASES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    def fuzz(case) -> None:
        response = case.call_and_validate(checks=[not_a_server_error])
        ran[label] += 1
        statuses[response.status_code] += 1
        assert response.status_code < 500, response.text

    fuzz()


DAMAGES = ["lone surrogate in the query", "lone surrogate in operationName", "lone surrogate in a variable",
           "bytes that are not UTF-8"]


def _damaged_body(query: str, damage: str, position: int) -> bytes:
    """A generated query's POST body, broken one way: valid JSON with a lone surrogate, or not UTF-8 at all."""
    cut = position % (len(query) + 1)
    if damage == "lone surrogate in the query":
        return json.dumps({"query": query[:cut] + "\ud800" + query[cut:]}).encode()
    if damage == "lone surrogate in operationName":
        return json.dumps({"query": query, "operationName": "\udfff"}).encode()
    if damage == "lone surrogate in a variable":
        return json.dumps({"query": query, "variables": {"path": "/news/\ud83d.md"}}).encode()
    encoded = json.dumps({"query": query}).encode()
    return encoded[:cut] + b"\xff\xfe" + encoded[cut:]


@pytest.mark.parametrize("label", ["Query.event", "Query.search", "Mutation.deleteEvent", "Mutation.importEvents"])
def test_broken_text_gets_a_coded_400_never_a_server_error(operations: dict, bundled_store: EventStore,
                                                          label: str) -> None:
    """The generated queries again, each body broken by a lone surrogate (valid JSON) or bytes that are not UTF-8."""
    api = ApiClient(create_app(bundled_store, ServerSettings(reload_interval=0)))

    @given(case=operations[label].as_strategy(GenerationMode.POSITIVE), damage=st.sampled_from(DAMAGES),
           position=st.integers(min_value=0))
    @settings(max_examples=max(10, TOTAL_CASES // 12), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def fuzz(case, damage: str, position: int) -> None:
        response = api.request("POST", "/graphql", content=_damaged_body(case.body, damage, position),
                               headers={"content-type": "application/json"})
        assert response.status_code == 400, (damage, response.status_code, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"

    fuzz()


def test_the_fuzzing_covered_every_operation() -> None:
    """Runs after the fuzzing above (file order): every root field got cases; the totals are printed."""
    print(f"\nfuzz: {sum(ran.values())} cases over {len(ran)} operations, statuses {dict(statuses)}")
    if not ran:
        pytest.skip("the fuzz tests were deselected")
    assert sorted(ran) == sorted(LABELS)
    assert sum(ran.values()) >= TOTAL_CASES
    assert set(statuses) <= {200, 400}
