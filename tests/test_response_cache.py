"""The response cache (server.response_cache), through the real app over HTTP on real TinyDB stores.

A repeated query is answered from memory, GET and POST alike, with the same bytes; what
its answer depends on (variables, operation name, media type, archive) tells entries
apart; answers with errors, mutations, batches and streams are never kept; a mutation
or a reload makes the next identical query answer the new data; the bytes bound holds;
`--no-response-cache` turns it all off. `/healthz` counts it under `responseCache`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsgraph.load import load_files
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.server.executor import QUERY_THREADS, QueryThreads
from newsgraph.server.view import NewsGraphQL
from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS
from tests.drivers import ApiClient, server_process

STATS = "{ stats { events } }"
PAGE = "query Page($first: Int, $after: String) { events(first: $first, after: $after) { edges { node { path } } } }"
TWO = "query A { stats { events } } query B { tags(first: 1) { totalCount } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"
TOKEN = "response-cache-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DAY = BUNDLED_NEWS / "2015" / "09" / "1"
IMPORT = "mutation($docs: [ImportDocument!]!) { importEvents(documents: $docs) { path problems { message } } }"


def _app(store: EventStore, **settings: Any) -> tuple[ApiClient, Any]:
    app = create_app(store, ServerSettings(reload_interval=0, **settings))
    return ApiClient(app), app


def _counts(api: ApiClient) -> dict[str, Any]:
    return api.request("GET", "/healthz").json()["responseCache"]


def _view(app: Any) -> NewsGraphQL:
    return next(route.endpoint for route in app.routes if isinstance(getattr(route, "endpoint", None), NewsGraphQL))


@pytest.fixture
def day_store(store: EventStore) -> EventStore:
    """One day of the bundled archive, in a store this test may change."""
    assert load_files(store, [DAY]).rejected == 0
    return store


def test_a_repeated_get_and_post_are_answered_from_the_cache_with_the_same_bytes(bundled_store: EventStore) -> None:
    api, _app_ = _app(bundled_store)
    assert _counts(api) == {"enabled": True, "hits": 0, "misses": 0, "entries": 0, "bytes": 0}
    params = {"query": PAGE, "variables": '{"first": 3}'}
    first = api.request("GET", "/graphql", params=params)
    assert first.status_code == 200 and len(first.json()["data"]["events"]["edges"]) == 3
    assert _counts(api)["misses"] == 1 and _counts(api)["entries"] == 1 and _counts(api)["bytes"] > len(first.content)

    again = api.request("GET", "/graphql", params=params)
    assert again.content == first.content and dict(again.headers) == dict(first.headers)  # same tag, same headers
    assert _counts(api)["hits"] == 1

    # a POST of the same document and variables shares the entry, and stays no-store
    posted = [api.request("POST", "/graphql", json={"query": PAGE, "variables": {"first": 3}}) for _ in range(2)]
    assert all(response.content == first.content for response in posted)
    assert all(response.headers["cache-control"] == "no-store" and "etag" not in response.headers
               for response in posted)
    assert posted[0].headers["content-type"] == "application/json"
    assert _counts(api) == {**_counts(api), "hits": 3, "misses": 1, "entries": 1}

    # a GET hit still revalidates: the ETag of the stored answer gets a 304
    revalidated = api.request("GET", "/graphql", params=params, headers={"if-none-match": first.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.headers["etag"] == first.headers["etag"]


def test_a_persisted_query_shares_the_entry_of_its_text(bundled_store: EventStore) -> None:
    api, _app_ = _app(bundled_store)
    digest = hashlib.sha256(STATS.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    taught = api.request("POST", "/graphql", json={"query": STATS, "extensions": extensions})
    by_hash = api.request("GET", "/graphql", params={"extensions": json.dumps(extensions)})
    plain = api.request("GET", "/graphql", params={"query": STATS})
    assert taught.content == by_hash.content == plain.content
    assert by_hash.headers["etag"] == plain.headers["etag"]  # one identity: the resolved text, not the URL
    assert _counts(api)["hits"] == 2 and _counts(api)["entries"] == 1


def test_variables_operation_name_and_media_type_tell_entries_apart(bundled_store: EventStore) -> None:
    api, _app_ = _app(bundled_store)
    three = api.request("POST", "/graphql", json={"query": PAGE, "variables": {"first": 3, "after": None}})
    two = api.request("POST", "/graphql", json={"query": PAGE, "variables": {"first": 2, "after": None}})
    assert len(three.json()["data"]["events"]["edges"]) == 3 and len(two.json()["data"]["events"]["edges"]) == 2
    # the same variables in another order are the same identity (canonical JSON)
    reordered = api.request("POST", "/graphql", json={"query": PAGE, "variables": {"after": None, "first": 3}})
    assert reordered.content == three.content
    assert _counts(api) == {**_counts(api), "hits": 1, "misses": 2, "entries": 2}

    a = api.request("POST", "/graphql", json={"query": TWO, "operationName": "A"}).json()
    b = api.request("POST", "/graphql", json={"query": TWO, "operationName": "B"}).json()
    assert a == {"data": {"stats": {"events": 214}}} and list(b["data"]) == ["tags"]
    assert _counts(api) == {**_counts(api), "hits": 1, "misses": 4, "entries": 4}

    spec = api.request("POST", "/graphql", json={"query": STATS}, headers={"accept": GRAPHQL_RESPONSE})
    plain = api.request("POST", "/graphql", json={"query": STATS})
    assert spec.headers["content-type"] == GRAPHQL_RESPONSE and plain.headers["content-type"] == "application/json"
    assert _counts(api) == {**_counts(api), "hits": 1, "misses": 6, "entries": 6}
    again = api.request("GET", "/graphql", params={"query": STATS}, headers={"accept": GRAPHQL_RESPONSE})
    assert again.headers["content-type"] == GRAPHQL_RESPONSE and again.content == spec.content
    assert _counts(api)["hits"] == 2


def test_answers_with_errors_mutations_batches_and_streams_are_never_stored(day_store: EventStore) -> None:
    api, _app_ = _app(day_store, token=TOKEN)
    over_limit = "{ events(first: 1000) { totalCount } }"  # refused by the page size limit
    unknown = "{ stats { nothing } }"  # a validation error
    for query in (over_limit, unknown, over_limit, unknown):
        body = api.request("POST", "/graphql", json={"query": query}).json()
        assert body["errors"], body
    assert api.request("GET", "/graphql", params={"query": over_limit}).headers["cache-control"] == "no-store"
    assert _counts(api) == {**_counts(api), "hits": 0, "entries": 0, "misses": 5}

    delete = 'mutation { deleteEvent(path: "/news/none.md") { deleted } }'
    for _ in range(2):
        assert api.request("POST", "/graphql", json={"query": delete}, headers=AUTH).json() == {
            "data": {"deleteEvent": {"deleted": False}}}
    for _ in range(2):
        batch = api.request("POST", "/graphql", json=[{"query": STATS}])
        assert batch.json()[0]["data"]["stats"]["events"] > 0
    assert _counts(api) == {**_counts(api), "hits": 0, "entries": 0, "misses": 5}

    stored = api.request("POST", "/graphql", json={"query": STATS})  # now kept ...
    sse = api.request("POST", "/graphql", json={"query": STATS}, headers={"accept": "text/event-stream"})
    assert sse.headers["content-type"].startswith("text/event-stream")  # ... yet a stream is never answered from it
    assert sse.text == f"event: next\ndata: {stored.text}\n\nevent: complete\ndata: \n\n"
    assert _counts(api) == {**_counts(api), "hits": 0, "entries": 1}


def test_a_mutation_makes_the_next_identical_query_answer_the_new_data(day_store: EventStore) -> None:
    api, _app_ = _app(day_store, token=TOKEN)
    events = api.data(STATS)["stats"]["events"]
    assert api.data(STATS)["stats"]["events"] == events and _counts(api)["hits"] == 1
    markdown = "### [2015-09-1](/news/2015/09/1/index.md)\n\n# Imported past the response cache \n\nNew.\n"
    imported = api.post_graphql(IMPORT, {"docs": [{"path": "news/2015/09/1/imported-past-the-response-cache.md", "markdown": markdown}]},
                                headers=AUTH)
    assert imported["data"]["importEvents"][0]["problems"] == []
    assert api.data(STATS)["stats"]["events"] == events + 1  # not the stored answer
    assert _counts(api) == {**_counts(api), "hits": 1, "entries": 1}  # the old generation's answer is gone


def test_a_reload_makes_the_next_identical_query_answer_the_new_data(day_store: EventStore) -> None:
    api, app = _app(day_store)
    before = api.request("GET", "/graphql", params={"query": STATS})
    assert api.request("GET", "/graphql", params={"query": STATS}).content == before.content
    load_files(day_store, [BUNDLED_NEWS])
    assert app.state.holder.reload()
    after = api.request("GET", "/graphql", params={"query": STATS}, headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200 and after.json() == {"data": {"stats": {"events": 214}}}
    assert after.headers["etag"] != before.headers["etag"]
    assert _counts(api) == {**_counts(api), "hits": 1, "misses": 2, "entries": 1}


def test_the_bytes_bound_keeps_only_what_fits(bundled_store: EventStore) -> None:
    api, _app_ = _app(bundled_store, response_cache_bytes=800)  # one small answer with its key, not two
    api.request("POST", "/graphql", json={"query": STATS})
    held = _counts(api)
    assert held["entries"] == 1 and 0 < held["bytes"] <= 800
    api.request("POST", "/graphql", json={"query": "{ tags(first: 1) { totalCount } }"})
    assert _counts(api) == {**_counts(api), "entries": 1}  # the first one made room
    api.request("POST", "/graphql", json={"query": STATS})
    assert _counts(api) == {**_counts(api), "hits": 0, "misses": 3, "entries": 1}
    big = api.request("POST", "/graphql", json={"query": "{ events(first: 50) { edges { node { path headline } } } }"})
    assert len(big.content) > 800
    api.request("POST", "/graphql", json={"query": "{ events(first: 50) { edges { node { path headline } } } }"})
    counts = _counts(api)
    assert counts["hits"] == 0 and counts["entries"] == 1 and counts["bytes"] <= 800  # never kept: over the bound


def test_a_hit_takes_no_query_thread(bundled_store: EventStore) -> None:
    """A stored answer is sent before Strawberry runs: with every query thread refused, it is still answered."""
    api, app = _app(bundled_store)
    stored = api.request("POST", "/graphql", json={"query": STATS})
    _view(app).threads = QueryThreads(QUERY_THREADS, 0)  # a full server: every query that would run gets 503
    busy = api.request("POST", "/graphql", json={"query": "{ tags(first: 1) { totalCount } }"})
    assert busy.status_code == 503 and busy.json()["errors"][0]["extensions"]["code"] == "SERVER_BUSY"
    for method, kwargs in (("POST", {"json": {"query": STATS}}), ("GET", {"params": {"query": STATS}})):
        hit = api.request(method, "/graphql", **kwargs)
        assert hit.status_code == 200 and hit.content == stored.content
    assert _counts(api)["hits"] == 2


def test_with_the_cache_off_nothing_is_stored_or_counted(bundled_store: EventStore) -> None:
    api, _app_ = _app(bundled_store, response_cache=False)
    first = api.request("GET", "/graphql", params={"query": STATS})
    for _ in range(3):
        assert api.request("GET", "/graphql", params={"query": STATS}).content == first.content
        assert api.request("POST", "/graphql", json={"query": STATS}).content == first.content
    assert _counts(api) == {"enabled": False, "hits": 0, "misses": 0, "entries": 0, "bytes": 0}
    again = api.request("GET", "/graphql", params={"query": STATS}, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304  # HTTP caching does not depend on it


def test_a_real_server_with_no_response_cache(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    load_files(EventStore(db), [DAY])
    with server_process("--db", str(db), "--data", str(tmp_path / "none"), "--no-response-cache") as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            answers = {client.post("/graphql", json={"query": STATS}).content for _ in range(3)}
            assert len(answers) == 1
            assert client.get("/healthz").json()["responseCache"] == {
                "enabled": False, "hits": 0, "misses": 0, "entries": 0, "bytes": 0}
