"""Schemathesis fuzzing of /graphql: generated queries for every root field, and not one server error.

Cases are valid queries (positive) and queries with values that break the schema
(negative), half and half. The check is schemathesis's `not_a_server_error`: a failure is any 5xx, and any error
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

import math
import os
from collections import Counter

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from newsgraph.api import build_schema
from newsgraph.app import ServerSettings, create_app
from newsgraph.store import EventStore

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


def test_the_fuzzing_covered_every_operation() -> None:
    """Runs after the fuzzing above (file order): every root field got cases; the totals are printed."""
    print(f"\nfuzz: {sum(ran.values())} cases over {len(ran)} operations, statuses {dict(statuses)}")
    if not ran:
        pytest.skip("the fuzz tests were deselected")
    assert sorted(ran) == sorted(LABELS)
    assert sum(ran.values()) >= TOTAL_CASES
    assert set(statuses) <= {200, 400}
