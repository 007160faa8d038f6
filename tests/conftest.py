"""Shared fixtures: the bundled archive loaded into a real TinyDB file, and the app over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from newsgraph.load import load_files
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.drivers import ApiClient

REPO = Path(__file__).resolve().parent.parent
BUNDLED_NEWS = REPO / "data" / "news"


@pytest.fixture(scope="session")
def bundled_store(tmp_path_factory: pytest.TempPathFactory) -> EventStore:
    """The 214 bundled events in a store file of their own (read-only for the tests that share it)."""
    store = EventStore(tmp_path_factory.mktemp("bundled") / "newsgraph.json")
    report = load_files(store, [BUNDLED_NEWS])
    assert report.rejected == 0, [str(p) for p in report.problems]
    return store


@pytest.fixture(scope="session")
def documents(bundled_store: EventStore) -> dict[str, dict[str, Any]]:
    """The bundled store's records by path: what brute-force checks compare the API with."""
    return {d["path"]: d for d in bundled_store.documents()}


@pytest.fixture(scope="session")
def api(bundled_store: EventStore) -> ApiClient:
    """Real HTTP requests to the Starlette app serving the bundled archive."""
    return ApiClient(create_app(bundled_store, ServerSettings(reload_interval=0)))


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    """An empty store in a fresh temporary directory."""
    return EventStore(tmp_path / "store" / "newsgraph.json")


@pytest.fixture
def news_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled archive, for tests that change files."""
    target = tmp_path / "news"
    shutil.copytree(BUNDLED_NEWS, target)
    return target


@pytest.hookimpl(tryfirst=True)  # before -m selects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that takes the `browser` fixture (tests/browser.py) is in the browser tier, and a slow one."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
