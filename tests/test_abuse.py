"""GraphQL abuse: every hostile request gets a clear error, never a 5xx and never a hang.

Depth and alias bombs, a cost bomb, page sizes out of range, huge strings,
recursive fragments, oversized batches and bodies, malformed HTTP, and queries
past the time limit. Errors from limits checked before execution are validation
errors (no `path`); errors raised during execution carry BAD_USER_INPUT, or
QUERY_TIMEOUT for the time limit.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from newsgraph.api import QueryLimits
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.drivers import ApiClient, running_server

# Resolves far too much: 100 events × 100 related-by × tags × 100 events × tags × …
CONNECTION_BOMB = """{ events(first: 100) { edges { node { relatedBy(first: 100) { edges { node {
  tags { events(first: 100) { edges { node { tags { events(first: 100) { totalCount edges { node { headline }
  } } } } } } } } } } } } } }"""
# No page size anywhere, still explosive: related links followed again and again.
RELATED_BOMB = """{ events(first: 100) { edges { node { related { event { related { event { related { event {
  related { event { headline } } } } } } } } } } } }"""


def _aliased(bomb: str, times: int = 8) -> str:
    """`bomb`'s selection `times` over under aliases: about three seconds of compiled execution on the bundled
    archive, so far past a 0.2 s limit on any machine (one alone takes about 0.25 s)."""
    selection = bomb.strip()[1:-1].strip()
    return "{ " + " ".join(f"a{index}: {selection}" for index in range(times)) + " }"


CONNECTION_BOMBS, RELATED_BOMBS = _aliased(CONNECTION_BOMB), _aliased(RELATED_BOMB)


def _body(response: httpx.Response) -> Any:
    assert response.status_code < 500, response.text
    return response.json()


def _only_error(api: ApiClient, query: str, variables: dict | None = None) -> dict:
    body = _body(api.request("POST", "/graphql", json={"query": query, "variables": variables or {}}))
    assert len(body["errors"]) == 1, body["errors"]
    return body["errors"][0]


def _assert_validation_error(error: dict, *words: str) -> None:
    assert "path" not in error, error
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
    for word in words:
        assert word in error["message"], error["message"]


def _assert_bad_input(error: dict, *words: str) -> None:
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    for word in words:
        assert word in error["message"], error["message"]


def test_a_depth_bomb_is_refused_before_it_runs(api: ApiClient) -> None:
    query = "{ events { edges { node { " + "related { event { " * 12 + "headline" + " } }" * 12 + " } } } }"
    body = _body(api.request("POST", "/graphql", json={"query": query}))
    assert "data" not in body  # refused before execution: no data entry (GraphQL spec)
    depth = [error for error in body["errors"] if "depth" in error["message"]]
    assert len(depth) == 1, body["errors"]  # (the cost limit refuses it too)
    _assert_validation_error(depth[0], "'anonymous' exceeds maximum operation depth of 15")


def test_an_alias_bomb_is_refused(api: ApiClient) -> None:
    query = "{ " + " ".join(f"a{i}: stats {{ events }}" for i in range(500)) + " }"
    _assert_validation_error(_only_error(api, query), "500 aliases found. Allowed: 50")


def test_a_token_bomb_is_refused(api: ApiClient) -> None:
    query = "{ stats { " + "events " * 6_000 + "} }"
    error = _only_error(api, query)
    assert "path" not in error and "tokens" in error["message"], error


@pytest.mark.timeout(10, func_only=True)  # refused before execution: executed, these run for minutes
@pytest.mark.parametrize("query", [CONNECTION_BOMB, RELATED_BOMB], ids=["connections", "related"])
def test_a_cost_bomb_is_refused_in_milliseconds(api: ApiClient, query: str) -> None:
    error = _only_error(api, query)
    _assert_validation_error(error, "fields or more", "the limit is 1,000,000", "ask for smaller pages")


def test_the_queries_a_frontend_sends_are_well_under_the_cost_limit(api: ApiClient) -> None:
    # A page of 20 costs 64,023 at the bounds of what an event may hold (100 related links of 20 context
    # tags, …). 100 events with all that may resolve 320,103 fields and are refused; so is `first: $first`
    # (a variable counts as the largest page, 100: validation does not see its value).
    query = """{ events(first: 20) { totalCount edges { cursor node { id path date headline
      summaryHtml coverImage sources { name url domain } tags { name slug eventCount }
      related { path headline date context { name } event { id path headline } } } } } }"""
    assert api.data(query)["events"]["totalCount"] > 0


@pytest.mark.parametrize(("query", "words"), [
    ("{ events(first: 101) { totalCount } }", ("`first` must be between 0 and 100, got 101",)),
    ("{ events(last: -1) { totalCount } }", ("`last` must be between 0 and 100, got -1",)),
    ("{ events(first: -2147483648) { totalCount } }", ("`first` must be between 0 and 100",)),
    ("{ events(first: 2147483648) { totalCount } }", ("Int cannot represent non 32-bit signed integer",)),
    ("{ tags(first: 1000000) { totalCount } }", ("`first` must be between 0 and 100",)),
    ("{ tags(first: 1) { edges { node { relatedTags(first: -5) { count } } } } }", ("`first` must be between 0 and 100",)),
    ("{ events(after: \"not-a-cursor\") { totalCount } }", ("not a cursor from this API",)),
])
def test_page_sizes_and_cursors_out_of_range_are_bad_user_input(api: ApiClient, query: str, words: tuple[str, ...]) -> None:
    _assert_bad_input(_only_error(api, query), *words)


@pytest.mark.timeout(30, func_only=True)
def test_huge_strings_are_answered_quickly(api: ApiClient) -> None:
    huge = "x" * 400_000  # twice in one body stays under the 1 MB body limit
    _assert_bad_input(_only_error(api, "query ($t: String!) { search(text: $t) { totalCount } }", {"t": huge}),
                      "characters; at most")
    body = _body(api.request("POST", "/graphql", json={
        "query": "query ($p: String, $n: String!) { event(path: $p) { path } tag(name: $n) { name } publisher(name: $n) { name } }",
        "variables": {"p": huge, "n": huge},
    }))
    assert body == {"data": {"event": None, "tag": None, "publisher": None}}
    literal = _body(api.request("POST", "/graphql", json={"query": '{ event(path: "' + huge + '") { path } }'}))
    assert literal == {"data": {"event": None}}


def test_recursive_fragments_are_refused(api: ApiClient) -> None:
    query = """{ events { ...A } }
      fragment A on EventConnection { edges { node { ...B } } }
      fragment B on Event { relatedBy { ...A } }"""
    body = _body(api.request("POST", "/graphql", json={"query": query}))
    assert "data" not in body  # refused before execution: no data entry (GraphQL spec)
    assert any("Cannot spread fragment 'A' within itself" in error["message"] for error in body["errors"])
    assert all("path" not in error for error in body["errors"])


@pytest.mark.parametrize("leaf", ["headline", "a: headline"], ids=["fields", "aliases"])
def test_fragments_spread_again_and_again_are_measured_once_not_walked_exponentially(
    api: ApiClient, leaf: str
) -> None:
    """11 levels of fragments, each spreading the one below ten times: 10^11 paths in 400 bytes.

    Strawberry's own depth and alias limiters walk every path (hours); ours measure each fragment once.
    """
    fragments = [f"fragment F0 on Event {{ {leaf} }}"]
    fragments += [f"fragment F{level} on Event {{ " + f"...F{level - 1} " * 10 + "}" for level in range(1, 12)]
    query = '{ event(path: "/news/2015/09/3/x.md") { ...F11 } } ' + " ".join(fragments)
    answers: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: answers.append(api.request("POST", "/graphql", json={"query": query})),
                              daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert answers, "the query was still being checked after 20 s"
    body = _body(answers[0])
    assert "data" not in body  # refused before execution: no data entry (GraphQL spec)
    if leaf.startswith("a:"):  # refused by the alias rule (the cost is checked once the other rules pass)
        assert [error["message"] for error in body["errors"]] == [f"{10 ** 11} aliases found. Allowed: 50"]
    else:
        assert any("fields or more" in error["message"] for error in body["errors"])


def test_depth_through_fragments_is_counted(api: ApiClient) -> None:
    query = ("{ events { edges { node { ...L0 } } } } fragment L0 on Event { related { event { ...L1 } } } "
             + " ".join(f"fragment L{n} on Event {{ related {{ event {{ ...L{n + 1} }} }} }}" for n in range(1, 8))
             + " fragment L8 on Event { headline }")
    body = _body(api.request("POST", "/graphql", json={"query": query}))
    assert any(error["message"] == "'anonymous' exceeds maximum operation depth of 15" for error in body["errors"])


def test_a_batch_over_the_limit_is_refused_with_400_and_a_batch_under_it_runs(api: ApiClient) -> None:
    operation = {"query": "{ stats { events } }"}
    refused = api.request("POST", "/graphql", json=[operation] * 1_000)
    assert refused.status_code == 400
    assert "a batch of 1,000 operations; at most 10 are allowed" in refused.text
    answered = api.request("POST", "/graphql", json=[operation] * 10)
    assert answered.status_code == 200
    assert [item["data"]["stats"]["events"] > 0 for item in answered.json()] == [True] * 10


def test_a_body_over_the_limit_gets_413_whether_or_not_it_declares_its_length(api: ApiClient) -> None:
    big = {"query": "{ stats { events } }", "variables": {"pad": "x" * 1_100_000}}
    declared = api.request("POST", "/graphql", json=big)
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "over the limit of 1,000,000 bytes" in declared.json()["errors"][0]["message"]

    async def chunks():  # no Content-Length: the middleware counts the bytes as they come
        yield b'{"query": "{ stats { events } }", "variables": {"pad": "'
        for _ in range(30):
            yield b"x" * 50_000
        yield b'"}}'

    streamed = api.request("POST", "/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400),
    ({"content": b"", "headers": {"content-type": "application/json"}}, 400),
    ({"json": {"query": 42}}, 400),
    ({"json": {"query": "{ stats { events } }", "variables": "nope"}}, 400),
    ({"json": {"variables": {}}}, 400),
    ({"json": ["not an operation"]}, 400),
    ({"json": [None]}, 400),
    ({"json": "a string"}, 400),
    ({"json": None}, 415),  # httpx sends no body and no content type
    ({"json": 42}, 400),
    ({"json": [{"query": 42}]}, 400),
    ({"json": [{"query": "{ stats { events } }", "variables": "x"}]}, 400),
    ({"content": b"\xff\xfe\x00garbage", "headers": {"content-type": "application/json"}}, 400),
    ({"content": b"query=1", "headers": {"content-type": "text/plain"}}, 415),
])
def test_malformed_http_gets_a_clear_4xx(api: ApiClient, kwargs: dict, status: int) -> None:
    response = api.request("POST", "/graphql", **kwargs)
    assert response.status_code == status, (response.status_code, response.text)
    assert response.text.strip()


def test_unknown_operation_names_and_get_mutations_are_client_errors(api: ApiClient) -> None:
    response = api.request("POST", "/graphql", json={"query": "query A { stats { events } }", "operationName": "B"})
    assert 400 <= response.status_code < 500 or response.json()["errors"]
    get_mutation = api.request("GET", "/graphql", params={"query": "mutation { deleteEvent(path: \"/x\") { path } }"})
    assert 400 <= get_mutation.status_code < 500


@pytest.fixture(scope="module")
def impatient_api(bundled_store: EventStore) -> ApiClient:
    """The bundled archive with a 0.2 s query time limit and no cost limit, so a bomb reaches execution."""
    limits = QueryLimits(max_cost=None, query_timeout=0.2)
    return ApiClient(create_app(bundled_store, ServerSettings(limits=limits, reload_interval=0)))


@pytest.mark.timeout(10, func_only=True)  # unbounded, these run for many seconds
@pytest.mark.parametrize("query", [CONNECTION_BOMBS, RELATED_BOMBS], ids=["connections", "related"])
def test_a_query_past_the_time_limit_stops_with_one_clear_error(impatient_api: ApiClient, query: str) -> None:
    body = _body(impatient_api.request("POST", "/graphql", json={"query": query}))
    assert body["data"] is None
    assert body["errors"] == [{
        "message": "query ran past the 0.2 s limit; ask for fewer items or less nesting",
        "extensions": {"code": "QUERY_TIMEOUT"},
    }]


def test_a_batch_shares_one_time_budget(impatient_api: ApiClient) -> None:
    """Eight bombs in one request take one budget, not eight: operations run in turn and the budget is the request's,
    so even the trivial operation after them finds it spent."""
    body = _body(impatient_api.request("POST", "/graphql", json=[
        {"query": "{ stats { events } }"}, *[{"query": RELATED_BOMBS}] * 8, {"query": "{ stats { tags } }"},
    ]))
    assert body[0]["data"]["stats"]["events"] > 0
    assert [answer["errors"][0]["extensions"]["code"] for answer in body[1:]] == ["QUERY_TIMEOUT"] * 9


@pytest.mark.slow
@pytest.mark.timeout(120)  # with the server's start: a bomb past its 0.2 s limit would run for minutes
def test_the_limits_are_set_from_the_serve_command(tmp_path) -> None:
    """Over real HTTP on uvicorn: --query-timeout, --max-cost, --max-body-bytes and --max-batch take effect."""
    db = tmp_path / "newsgraph.json"
    from newsgraph.load import load_files
    from tests.conftest import BUNDLED_NEWS

    load_files(EventStore(db), [BUNDLED_NEWS])
    with running_server("--db", str(db), "--data", str(tmp_path / "none"), "--query-timeout", "0.2",
                        "--max-cost", "0", "--max-body-bytes", "5000", "--max-batch", "2") as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            timed_out = client.post("/graphql", json={"query": RELATED_BOMBS})
            assert timed_out.status_code == 200
            assert timed_out.json()["errors"][0]["extensions"]["code"] == "QUERY_TIMEOUT"
            too_big = client.post("/graphql", json={"query": "{ stats { events } }", "variables": {"x": "y" * 6000}})
            assert too_big.status_code == 413
            batch = client.post("/graphql", json=[{"query": "{ stats { events } }"}] * 3)
            assert batch.status_code == 400 and "at most 2 are allowed" in batch.text
            assert client.post("/graphql", json={"query": "{ stats { events } }"}).json()["data"]["stats"]["events"] > 0
