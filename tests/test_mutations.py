"""Scripted loading over HTTP: `importEvents` and `deleteEvent`, behind a bearer token."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from newsgraph.load import load_files
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS
from tests.drivers import ApiClient, running_server

TOKEN = "correct horse battery staple"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DAY = BUNDLED_NEWS / "2015" / "09" / "3"
IMPORT = """
mutation($docs: [ImportDocument!]!, $strict: Boolean! = false) {
  importEvents(documents: $docs, strict: $strict) {
    path
    event { path headline tags { name } related { path event { path } } }
    problems { file line message severity }
  }
}"""
DELETE = "mutation($path: String!) { deleteEvent(path: $path) { path deleted } }"
EVENT = "query($path: String!) { event(path: $path) { headline relatedBy { totalCount edges { node { path } } } } }"


def _markdown(headline: str, related: str | None = None) -> str:
    text = f"### [2015-09-3](/news/2015/09/3/index.md)\n\n# {headline} \n\nImported over HTTP.\n"
    if related:
        text += f"\n### Related:\n\n1. [The linked event ]({related}) _Context: Imports, Testing_\n"
    return text


def _canonical(headline: str) -> str:
    return "/news/2015/09/3/" + headline.lower().replace(" ", "-") + ".md"


@pytest.fixture
def day_store(store: EventStore) -> EventStore:
    assert load_files(store, [DAY]).rejected == 0
    return store


def _api(store: EventStore, token: str | None = TOKEN) -> ApiClient:
    return ApiClient(create_app(store, ServerSettings(reload_interval=0, token=token)))


def _post(api: ApiClient, query: str, variables: dict, headers: dict | None = None) -> dict:
    return api.post_graphql(query, variables, headers=headers or {})


def test_mutations_are_off_without_a_configured_token(day_store: EventStore) -> None:
    before = day_store.path.read_bytes()
    body = _post(_api(day_store, token=None), DELETE, {"path": "/news/x.md"}, AUTH)
    assert "data" not in body  # refused before execution
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"].startswith("mutations are disabled: set NEWSGRAPH_TOKEN")
    assert "path" not in error  # the operation was refused before any field ran
    assert day_store.path.read_bytes() == before


@pytest.mark.parametrize(
    ("headers", "code", "says"),
    [
        ({}, "UNAUTHENTICATED", "send the header `Authorization: Bearer <token>`"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, "UNAUTHENTICATED", "must read `Bearer <token>`"),
        ({"Authorization": "Bearer"}, "UNAUTHENTICATED", "must read `Bearer <token>`"),
        ({"Authorization": "Bearer not-the-token"}, "FORBIDDEN", "wrong token"),
    ],
)
def test_missing_or_wrong_credentials_are_named(day_store: EventStore, headers: dict, code: str, says: str) -> None:
    api = _api(day_store)
    before = day_store.path.read_bytes()
    response = api.request("POST", "/graphql", json={"query": DELETE, "variables": {"path": "/news/x.md"}}, headers=headers)
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code and says in error["message"]
    if code == "UNAUTHENTICATED":
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert day_store.path.read_bytes() == before
    assert api.data("{ stats { events } }")["stats"]["events"] == len(list(DAY.glob("*.md")))


def test_mutations_are_refused_over_get(day_store: EventStore) -> None:
    api = _api(day_store)
    before = day_store.path.read_bytes()
    response = api.request("GET", "/graphql", params={"query": 'mutation { deleteEvent(path: "/news/x.md") { deleted } }'},
                           headers=AUTH)
    assert response.status_code in (400, 405)
    assert "not allowed" in response.text
    assert day_store.path.read_bytes() == before


def test_import_answers_per_document_and_the_archive_reflects_it_at_once(day_store: EventStore) -> None:
    api = _api(day_store)
    target = sorted(p["path"] for p in day_store.documents())[0]
    headline = "An event imported over HTTP"
    documents = [
        {"path": "news/2015/09/3/an-event-imported-over-http.md", "markdown": _markdown(headline, target)},
        {"path": "broken.md", "markdown": "# A headline without its day\n"},
        {"path": "elsewhere.md", "markdown": _markdown("Stored from a file-like name that disagrees")},
    ]
    good, broken, elsewhere = _post(api, IMPORT, {"docs": documents}, AUTH)["data"]["importEvents"]

    assert good["path"] == documents[0]["path"] and good["problems"] == []
    event = good["event"]
    assert event["path"] == _canonical(headline) and event["headline"] == headline
    assert [t["name"] for t in event["tags"]] == ["Imports", "Testing"]
    assert event["related"] == [{"path": target, "event": {"path": target}}]  # resolved in the new archive

    assert broken["event"] is None
    assert [(p["file"], p["line"], p["severity"]) for p in broken["problems"]] == [("broken.md", 1, "ERROR")]
    assert "no day heading" in broken["problems"][0]["message"]

    assert elsewhere["event"]["path"] == _canonical("Stored from a file-like name that disagrees")
    assert [p["severity"] for p in elsewhere["problems"]] == ["WARNING"]

    # the very next request (no poller runs here) sees the new events, linked both ways
    linked = api.data(EVENT, {"path": target})["event"]["relatedBy"]
    assert _canonical(headline) in [edge["node"]["path"] for edge in linked["edges"]]
    stored = {d["path"]: d for d in day_store.documents()}
    assert stored[_canonical(headline)]["file"] is None  # no file on the server's disk stands for it

    strict = _post(api, IMPORT, {"docs": [documents[2]], "strict": True}, AUTH)["data"]["importEvents"]
    assert strict[0]["event"] is None and strict[0]["problems"][0]["severity"] == "ERROR"


def test_a_second_document_with_the_same_canonical_path_is_rejected(day_store: EventStore) -> None:
    api = _api(day_store)
    same = _markdown("Twice in one request")
    first, second = _post(api, IMPORT, {"docs": [{"path": "a.md", "markdown": same}, {"path": "b.md", "markdown": same}]},
                          AUTH)["data"]["importEvents"]
    assert first["event"]["path"] == _canonical("Twice in one request")
    assert second["event"] is None
    assert "same canonical path as a.md" in second["problems"][-1]["message"]


def test_delete_removes_the_event_and_says_when_there_was_none(day_store: EventStore) -> None:
    api = _api(day_store)
    path = sorted(p["path"] for p in day_store.documents())[0]
    assert _post(api, DELETE, {"path": path}, AUTH)["data"]["deleteEvent"] == {"path": path, "deleted": True}
    assert api.data(EVENT, {"path": path})["event"] is None
    assert path not in {d["path"] for d in day_store.documents()}
    assert _post(api, DELETE, {"path": path}, AUTH)["data"]["deleteEvent"] == {"path": path, "deleted": False}


@pytest.mark.slow
def test_a_real_server_takes_concurrent_imports_with_the_token_from_its_environment(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    headlines = [f"Concurrent import number {n}" for n in range(6)]

    async def import_all(base: str) -> list[dict]:
        async with httpx.AsyncClient(base_url=base, headers=AUTH, timeout=30) as client:
            responses = await asyncio.gather(*(
                client.post("/graphql", json={"query": IMPORT, "variables": {
                    "docs": [{"path": _canonical(h).lstrip("/"), "markdown": _markdown(h)}]}})
                for h in headlines
            ))
        return [response.json() for response in responses]

    with running_server("--db", str(db), "--data", str(tmp_path / "no-data"), env={"NEWSGRAPH_TOKEN": TOKEN}) as base:
        refused = httpx.post(base + "/graphql", json={"query": DELETE, "variables": {"path": "/news/x.md"}}, timeout=10)
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        bodies = asyncio.run(import_all(base))
        for body, headline in zip(bodies, headlines, strict=True):
            assert body["data"]["importEvents"][0]["event"]["path"] == _canonical(headline), body
        # every write kept the others (one lock, one atomic replacement each) and every answer is current
        count = httpx.post(base + "/graphql", json={"query": "{ stats { events } }"}, timeout=10).json()
        assert count["data"]["stats"]["events"] == len(headlines)
    assert sorted(d["path"] for d in EventStore(db).documents()) == sorted(_canonical(h) for h in headlines)
