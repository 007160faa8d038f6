"""Parse and validation, done once per query text (gql/api/prepare.py), answer as they did uncached.

Over real HTTP against the app. Validation is cached by the query text: the same text
must get the same answer every time, and each server its own rules.
"""

from __future__ import annotations

import pytest

from newsgraph.api import QueryLimits
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.drivers import ApiClient

DEEP = "{ events { edges { node { " + "related { event { " * 12 + "headline" + " } }" * 12 + " } } } }"
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.fixture(scope="module")
def locked_down(bundled_store: EventStore) -> ApiClient:
    """The bundled archive with introspection off and tighter limits."""
    limits = QueryLimits(introspection=False, max_depth=3, max_tokens=50)
    return ApiClient(create_app(bundled_store, ServerSettings(limits=limits, reload_interval=0)))


def test_the_same_text_gets_the_same_answer_again(api: ApiClient) -> None:
    query = "query ($first: Int) { events(first: $first) { edges { node { path tags { name } } } } }"
    first, again = api.data(query, {"first": 3}), api.data(query, {"first": 3})
    assert first == again and len(first["events"]["edges"]) == 3
    assert api.data(query, {"first": 1})["events"]["edges"] == first["events"]["edges"][:1]  # new variables, same text


def test_validation_errors_are_the_same_every_time(api: ApiClient) -> None:
    errors = [api.post_graphql(DEEP)["errors"] for _ in range(2)]
    assert errors[0] == errors[1]
    assert any("exceeds maximum operation depth of 15" in error["message"] for error in errors[0])
    assert {error["extensions"]["code"] for error in errors[0]} == {"GRAPHQL_VALIDATION_FAILED"}
    unknown = [api.error("{ events { edges { node { nope } } } }") for _ in range(2)]
    assert unknown[0] == unknown[1] and "nope" in unknown[0]["message"]


def test_syntax_and_token_errors_are_coded_every_time(api: ApiClient, locked_down: ApiClient) -> None:
    for client, query, words in [(api, "{ events { ", "Syntax Error"),
                                 (locked_down, "{ stats { " + "events " * 60 + "} }", "more than 50 tokens")]:
        for _ in range(2):
            error = client.error(query)
            assert "path" not in error and words in error["message"], error
            assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED", error


def test_each_server_validates_with_its_own_rules(api: ApiClient, locked_down: ApiClient) -> None:
    assert api.data(INTROSPECTION) == {"__schema": {"queryType": {"name": "Query"}}}
    refused = locked_down.error(INTROSPECTION)
    assert "introspection" in refused["message"] and refused["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    query = "{ events(first: 1) { edges { node { related { event { path } } } } } }"  # depth 5: fine at 15, not at 3
    assert api.data(query)["events"]["edges"]
    assert "exceeds maximum operation depth of 3" in locked_down.error(query)["message"]
    assert locked_down.data("{ stats { events } }")["stats"]["events"] > 0
