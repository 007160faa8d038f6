"""The app over HTTP: the nested example query with real values, GET/POST, GraphiQL, health, schema file."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from newsgraph.cli.main import main
from newsgraph.parse import date_from_path
from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS, REPO
from tests.drivers import ApiClient, running_server

NESTED = (REPO / "schema" / "examples" / "nested.graphql").read_text(encoding="utf-8")


def _tag_index(documents: list[dict]) -> dict[str, set[str]]:
    """Brute force over the stored records: tag (case-folded) → paths of the events carrying it."""
    index: dict[str, set[str]] = {}
    for document in documents:
        for item in document["related"]:
            for name in item["context"]:
                index.setdefault(name.casefold(), set()).add(document["path"])
    return index


def test_the_nested_example_answers_with_the_stored_values(api: ApiClient, bundled_store: EventStore) -> None:
    documents = {d["path"]: d for d in bundled_store.documents()}
    tags = _tag_index(list(documents.values()))
    # the event with the most related links whose targets are in the bundle
    path = max(documents, key=lambda p: sum(r["path"] in documents for r in documents[p]["related"]))
    event = api.data(NESTED, {"path": path})["event"]
    stored = documents[path]
    assert event["headline"] == stored["headline"]
    assert event["sources"] == [{"name": s["name"], "url": s["url"]} for s in stored["sources"]]
    assert [r["headline"] for r in event["related"]] == [r["headline"] for r in stored["related"]]
    resolved = [r for r in event["related"] if r["event"]]
    assert resolved, "the chosen event links inside the bundle"
    for related, item in zip(event["related"], stored["related"], strict=True):
        assert [c["name"].casefold() for c in related["context"]] == [c.casefold() for c in item["context"]]
        assert related["date"] == str(date_from_path(item["path"]))
        if related["event"] is None:
            assert item["path"] not in documents
            continue
        target = documents[related["event"]["path"]]
        assert related["event"]["headline"] == target["headline"]
        for tag in related["event"]["tags"]:
            members = tags[tag["name"].casefold()]
            assert tag["eventCount"] == len(members) == tag["events"]["totalCount"]
            shown = [edge["node"] for edge in tag["events"]["edges"]]
            assert {node["path"] for node in shown} <= members
            assert [node["date"] for node in shown] == sorted((node["date"] for node in shown), reverse=True)


def test_queries_over_get_and_post_agree(api: ApiClient) -> None:
    query = "{ stats { events tags } }"
    posted = api.data(query)
    got = api.request("GET", "/graphql", params={"query": query})
    assert got.status_code == 200 and got.json()["data"] == posted
    assert posted["stats"]["events"] == 214


def test_a_browser_gets_the_graphiql_playground(api: ApiClient) -> None:
    page = api.request("GET", "/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


def test_health(api: ApiClient) -> None:
    health = api.request("GET", "/healthz").json()
    assert health["status"] == "ok" and health["events"] == 214


def test_the_committed_schema_file_is_current(tmp_path: Path) -> None:
    out = tmp_path / "schema.graphql"
    result = CliRunner().invoke(main, ["export-schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    committed = (REPO / "schema" / "schema.graphql").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run `newsgraph export-schema` and commit the result"


@pytest.mark.slow
def test_serve_on_a_fresh_checkout_loads_the_bundled_archive_first(tmp_path: Path) -> None:
    """The README's first command: no store yet, so serve loads data/news, then answers."""
    shutil.copytree(BUNDLED_NEWS, tmp_path / "data" / "news")
    with running_server(cwd=tmp_path) as base:
        answer = httpx.post(base + "/graphql", json={"query": "{ stats { events } }"}, timeout=30).json()
        assert answer == {"data": {"stats": {"events": 214}}}
        assert httpx.get(base + "/graphql", headers={"accept": "text/html"}, timeout=30).status_code == 200
    assert (tmp_path / "data" / "newsgraph.json").exists()
