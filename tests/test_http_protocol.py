"""What standard GraphQL tooling expects of the HTTP and WebSocket endpoint, checked through the real app: JSON
error bodies with codes, GraphQL-over-HTTP statuses, persisted queries and trusted documents, GET caching, CORS,
subscriptions over SSE, multipart and WebSocket (text frames, credentials in connectionParams, origins).

The same behaviour is exercised by published clients in tests/test_clients.py; these tests pin each rule down.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS
from tests.drivers import EXAMPLES, ApiClient, example, running_server

STATS = "{ stats { events } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def _only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "data" not in body, body
    (error,) = body["errors"]
    assert error["message"] and error["extensions"]["code"], error
    return error


@pytest.fixture
def fresh_api(bundled_store: EventStore) -> ApiClient:
    """An app of its own: persisted queries it learns are not shared with other tests."""
    return ApiClient(create_app(bundled_store, ServerSettings(reload_interval=0)))


# ---------------------------------------------------------------- failures are GraphQL responses


@pytest.mark.parametrize(("method", "kwargs", "status", "code"), [
    ("POST", {"json": {}}, 400, "BAD_REQUEST"),
    ("POST", {"content": b"{nope", "headers": {"content-type": "application/json"}}, 400, "BAD_REQUEST"),
    ("POST", {"content": b"\x00\xff{{{", "headers": {"content-type": "application/json"}}, 400, "BAD_REQUEST"),
    ("POST", {"content": '{"query": "{ stats { events } }", "operationName": "\\ud800"}',
              "headers": {"content-type": "application/json"}}, 400, "BAD_REQUEST"),
    ("POST", {"json": {"query": "query A { stats { events } }", "operationName": "B"}}, 400,
     "OPERATION_RESOLUTION_FAILURE"),
    ("GET", {"params": {"query": 'mutation { deleteEvent(path: "/x") { deleted } }'}}, 405, "METHOD_NOT_ALLOWED"),
    ("POST", {"json": [{"query": STATS}] * 11}, 400, "BAD_REQUEST"),
    ("POST", {"content": b"query=1", "headers": {"content-type": "text/plain"}}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("PUT", {"json": {"query": STATS}}, 405, "METHOD_NOT_ALLOWED"),
    ("POST", {"json": {"query": "subscription { eventsChanged { added } }"}}, 400, "STREAM_REQUIRED"),
])
def test_every_refusal_is_a_graphql_error_body_with_a_code(api: ApiClient, method: str, kwargs: dict,
                                                           status: int, code: str) -> None:
    response = api.request(method, "/graphql", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert _only_error(response)["extensions"]["code"] == code
    assert response.headers["cache-control"] == "no-store"


def test_method_refusals_say_what_is_allowed(api: ApiClient) -> None:
    assert api.request("PUT", "/graphql").headers["allow"] == "GET, POST"
    get_mutation = api.request("GET", "/graphql", params={"query": 'mutation { deleteEvent(path: "/x") { deleted } }'})
    assert get_mutation.headers["allow"] == "POST"


def test_media_types_are_case_insensitive(api: ApiClient) -> None:
    response = api.request("POST", "/graphql", content=json.dumps({"query": STATS}),
                           headers={"content-type": "APPLICATION/JSON; charset=UTF-8"})
    assert response.json() == {"data": {"stats": {"events": 214}}}


def test_a_document_of_several_operations_needs_an_operation_name(api: ApiClient) -> None:
    two = "query A { stats { events } } query B { stats { tags } }"
    error = _only_error(api.request("POST", "/graphql", json={"query": two}))
    assert error["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    named = api.request("POST", "/graphql", json={"query": two, "operationName": "B"}).json()
    assert set(named["data"]["stats"]) == {"tags"}


@pytest.mark.parametrize(("query", "status", "has_data"), [
    ("{ stats { events } }", 200, True),
    ("{ events(first: 1000) { totalCount } }", 200, True),  # executed: a field error, data is null
    ("{ stats { events }", 400, False),  # parse error: never executed
    ("{ nope }", 400, False),  # validation error
    ('mutation { deleteEvent(path: "/x") { deleted } }', 403, False),  # refused: mutations are off
])
def test_graphql_response_json_statuses_follow_the_spec(api: ApiClient, query: str, status: int,
                                                        has_data: bool) -> None:
    response = api.request("POST", "/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert ("data" in response.json()) is has_data
    legacy = api.request("POST", "/graphql", json={"query": query}, headers={"accept": "application/json"})
    assert legacy.status_code == 200 and ("data" in legacy.json()) is has_data


# ---------------------------------------------------------------- automatic persisted queries


def test_apq_unknown_hash_then_text_then_hash_alone(fresh_api: ApiClient) -> None:
    digest = _sha256(STATS)
    first = fresh_api.request("POST", "/graphql", json={"extensions": _persisted(digest)})
    assert first.status_code == 200
    assert _only_error(first) == {"message": "PersistedQueryNotFound",
                                  "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    retried = fresh_api.request("POST", "/graphql", json={"query": STATS, "extensions": _persisted(digest)})
    assert retried.json() == {"data": {"stats": {"events": 214}}}
    by_hash = fresh_api.request("GET", "/graphql", params={"extensions": json.dumps(_persisted(digest))})
    assert by_hash.json() == {"data": {"stats": {"events": 214}}}
    assert by_hash.headers["etag"]


def test_apq_refuses_a_hash_that_is_not_the_texts(fresh_api: ApiClient) -> None:
    wrong = fresh_api.request("POST", "/graphql", json={"query": STATS, "extensions": _persisted("0" * 64)})
    assert wrong.status_code == 400 and _only_error(wrong)["message"] == "provided sha does not match query"
    malformed = fresh_api.request("POST", "/graphql", json={"extensions": _persisted("xyz")})
    assert malformed.status_code == 400 and _only_error(malformed)["extensions"]["code"] == "BAD_REQUEST"
    # the wrong pairing taught the server nothing
    unknown = fresh_api.request("POST", "/graphql", json={"extensions": _persisted("0" * 64)})
    assert _only_error(unknown)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


# ---------------------------------------------------------------- trusted documents


def _trusted_api(store: EventStore, documents: Path) -> ApiClient:
    return ApiClient(create_app(store, ServerSettings(reload_interval=0, trusted_documents=documents)))


def _example(name: str) -> tuple[str, dict[str, Any]]:
    return example(EXAMPLES / f"{name}.graphql")


def test_trusted_documents_from_the_examples_run_by_hash_or_text_and_nothing_else(bundled_store: EventStore) -> None:
    api = _trusted_api(bundled_store, EXAMPLES)
    text, variables = _example("nested")
    by_hash = api.request("POST", "/graphql", json={"variables": variables, "extensions": _persisted(_sha256(text))})
    assert by_hash.json()["data"]["event"]["headline"]
    by_text = api.request("POST", "/graphql", json={"query": text, "variables": variables})
    assert by_text.json() == by_hash.json()
    refused = api.request("POST", "/graphql", json={"query": STATS}, headers={"accept": GRAPHQL_RESPONSE})
    assert refused.status_code == 403
    assert _only_error(refused)["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    unknown = api.request("POST", "/graphql", json={"query": None, "extensions": _persisted(_sha256(STATS))})
    assert _only_error(unknown)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    # the list is not extended by APQ: sending a text with its hash does not make it trusted
    api.request("POST", "/graphql", json={"query": STATS, "extensions": _persisted(_sha256(STATS))})
    assert api.request("POST", "/graphql", json={"query": STATS}).json()["errors"]
    # the playground's docs still load
    introspection = api.request("POST", "/graphql", json={"query": "{ __schema { queryType { name } } }"}).json()
    assert introspection == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.parametrize("shape", ["apollo", "map"])
def test_trusted_documents_from_a_manifest(bundled_store: EventStore, tmp_path: Path, shape: str) -> None:
    manifest = tmp_path / "manifest.json"
    operation_id = "an-id-of-the-manifest's-own"
    if shape == "apollo":
        manifest.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
            {"id": operation_id, "name": "Stats", "type": "query", "body": STATS}]}))
    else:
        manifest.write_text(json.dumps({operation_id: STATS}))
    api = _trusted_api(bundled_store, manifest)
    by_id = api.request("POST", "/graphql", json={"extensions": {"persistedQuery": {"version": 1,
                                                                                   "sha256Hash": _sha256(STATS)}}})
    assert by_id.json() == {"data": {"stats": {"events": 214}}}
    assert api.request("POST", "/graphql", json={"query": "{ stats { tags } }"}).json()["errors"]


# ---------------------------------------------------------------- GET caching


def test_get_answers_carry_an_etag_and_revalidate_with_304(api: ApiClient) -> None:
    first = api.request("GET", "/graphql", params={"query": STATS})
    assert first.headers["cache-control"] == "public, max-age=60"
    assert "Accept" in first.headers["vary"]
    again = api.request("GET", "/graphql", params={"query": STATS}, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
    other_media = api.request("GET", "/graphql", params={"query": STATS},
                              headers={"if-none-match": first.headers["etag"], "accept": GRAPHQL_RESPONSE})
    assert other_media.status_code == 200 and other_media.headers["etag"] != first.headers["etag"]


def test_errors_and_posts_are_never_cached(api: ApiClient) -> None:
    failed = api.request("GET", "/graphql", params={"query": "{ events(first: 1000) { totalCount } }"})
    assert failed.headers["cache-control"] == "no-store" and "etag" not in failed.headers
    posted = api.request("POST", "/graphql", json={"query": STATS})
    assert posted.headers["cache-control"] == "no-store"


def test_a_reload_changes_every_etag(tmp_path: Path) -> None:
    from newsgraph.load import load_files

    store = EventStore(tmp_path / "store.json")
    load_files(store, [BUNDLED_NEWS / "2015" / "09" / "1"])
    app = create_app(store, ServerSettings(reload_interval=0, cache_max_age=5))
    api = ApiClient(app)
    before = api.request("GET", "/graphql", params={"query": STATS})
    assert before.headers["cache-control"] == "public, max-age=5"
    load_files(store, [BUNDLED_NEWS])
    app.state.holder.reload()
    after = api.request("GET", "/graphql", params={"query": STATS}, headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200 and after.json() == {"data": {"stats": {"events": 214}}}


# ---------------------------------------------------------------- CORS


def test_cors_allows_apollo_client_headers_by_default_and_configured_ones(bundled_store: EventStore) -> None:
    origin = "https://app.example"
    api = ApiClient(create_app(bundled_store, ServerSettings(reload_interval=0, cors_origins=(origin,),
                                                             cors_headers=("x-trace-id",))))
    preflight = api.request("OPTIONS", "/graphql", headers={
        "origin": origin, "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-trace-id"})
    assert preflight.status_code == 200
    assert "x-trace-id" in preflight.headers["access-control-allow-headers"]
    default = ApiClient(create_app(bundled_store, ServerSettings(reload_interval=0, cors_origins=(origin,))))
    apollo = default.request("OPTIONS", "/graphql", headers={
        "origin": origin, "access-control-request-method": "POST",
        "access-control-request-headers": "apollographql-client-name, apollographql-client-version, authorization"})
    assert apollo.status_code == 200
    refused = default.request("OPTIONS", "/graphql", headers={
        "origin": origin, "access-control-request-method": "POST", "access-control-request-headers": "x-trace-id"})
    assert refused.status_code == 400


# ---------------------------------------------------------------- streaming transports


def test_sse_and_multipart_stream_a_subscription_and_json_preferred_queries_do_not_stream(api: ApiClient) -> None:
    # A query with JSON first in Accept (urql's header) gets plain JSON, even though a stream is acceptable.
    urql = api.request("GET", "/graphql", params={"query": STATS}, headers={
        "accept": "application/graphql-response+json, application/json, text/event-stream, multipart/mixed"})
    assert urql.headers["content-type"] == GRAPHQL_RESPONSE and urql.json()["data"]
    sse = api.request("POST", "/graphql", json={"query": STATS}, headers={"accept": "text/event-stream"})
    assert sse.headers["content-type"].startswith("text/event-stream")
    assert sse.text == 'event: next\ndata: {"data":{"stats":{"events":214}}}\n\nevent: complete\ndata: \n\n'


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("protocol")
    with running_server("--db", str(root / "store.json"), "--data", str(BUNDLED_NEWS),
                        "--cors-origin", "https://app.example", env={"NEWSGRAPH_TOKEN": "t0ken"}) as base:
        yield base


async def _socket_exchange(url: str, origin: str | None, params: dict[str, Any]) -> list[Any]:
    """Connect over graphql-transport-ws, run a refused-or-allowed mutation; the raw frames received."""
    headers = {"origin": origin} if origin else {}
    frames: list[Any] = []
    async with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=headers) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": params}))
        frames.append(await socket.recv())
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": 'mutation { deleteEvent(path: "/news/2015/09/1/none.md") { deleted } }'}}))
        async with asyncio.timeout(10):
            while True:
                frames.append(await socket.recv())
                if json.loads(frames[-1])["type"] in ("complete", "error"):
                    break
    return frames


def test_sockets_send_text_frames_and_take_credentials_from_connection_params(live_server: str) -> None:
    url = live_server.replace("http://", "ws://") + "/graphql"
    frames = asyncio.run(_socket_exchange(url, None, {"Authorization": "Bearer t0ken"}))
    assert all(isinstance(frame, str) for frame in frames), frames  # text frames, never bytes
    assert json.loads(frames[0]) == {"type": "connection_ack"}
    assert json.loads(frames[1])["payload"] == {"data": {"deleteEvent": {"deleted": False}}}
    anonymous = asyncio.run(_socket_exchange(url, None, {}))
    assert json.loads(anonymous[1])["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_socket_origins_follow_cors_origin(live_server: str) -> None:
    url = live_server.replace("http://", "ws://") + "/graphql"
    allowed = asyncio.run(_socket_exchange(url, "https://app.example", {"authToken": "t0ken"}))
    assert json.loads(allowed[1])["payload"]["data"] == {"deleteEvent": {"deleted": False}}
    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(_socket_exchange(url, "https://elsewhere.example", {}))
    assert refused.value.response.status_code == 403
