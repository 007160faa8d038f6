"""Published GraphQL clients against one real `newsgraph serve --watch`: what users' code will actually run.

The JavaScript clients (Apollo Client, urql, graphql-ws, graphql-sse, graphql-http's audit) are pinned in
tests/clients/package.json + package-lock.json and run with node's own test runner, one pytest test per file so a
failure names the client and shows node's report (each failure says what the server answered). Python's `gql`
client runs in a subprocess from a neutral directory: in this repository `import gql` would otherwise find
newsgraph's own `gql/` folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.drivers import REPO, running_server

pytestmark = pytest.mark.slow

CLIENTS = REPO / "tests" / "clients"
BUNDLED_NEWS = REPO / "data" / "news"
TOKEN = "client-compat-token"
NODE = shutil.which("node")
NODE_FILES = sorted(path.name for path in CLIENTS.glob("*.test.mjs"))
NODE_TIMEOUT = 240  # seconds for one file; they take a few seconds each
WATCH_SETTLE = 2.0  # seconds: `serve --watch` arms its watch and loads --data once, a second after it starts


@dataclass(frozen=True)
class Server:
    url: str
    watch_dir: Path

    def environment(self) -> dict[str, str]:
        environment = {name: value for name, value in os.environ.items() if name != "FORCE_COLOR"}
        return {**environment, "NEWSGRAPH_URL": self.url, "NEWSGRAPH_TOKEN": TOKEN,
                "NEWSGRAPH_WATCH_DIR": str(self.watch_dir), "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for every client: a temporary copy of the bundled archive, watched, mutations on."""
    root = tmp_path_factory.mktemp("clients")
    data = root / "news"
    shutil.copytree(BUNDLED_NEWS, data)
    with running_server("--db", str(root / "store.json"), "--data", str(data), "--watch",
                        env={"NEWSGRAPH_TOKEN": TOKEN}) as url:
        # The watcher loads --data once after its first quiet second, with prune: an event imported by a mutation
        # before then would be removed again, racing the tests that wait for it.
        time.sleep(WATCH_SETTLE)
        yield Server(url=url, watch_dir=data)


def _node_modules_current() -> bool:
    installed = CLIENTS / "node_modules" / ".package-lock.json"  # npm writes it on every install
    lock = CLIENTS / "package-lock.json"
    return installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime


@pytest.fixture(scope="module")
def node_clients() -> Path:
    """tests/clients/node_modules as package-lock.json pins it (`npm ci` when missing or older than the lock)."""
    if NODE is None:
        pytest.skip("node is not on PATH: the JavaScript client tests need Node.js 20 or later (and npm)")
    if not _node_modules_current():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not on PATH and tests/clients/node_modules is missing or stale: run "
                        "`npm ci --prefix tests/clients`")
        installed = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENTS, capture_output=True,
                                   text=True, timeout=600)
        if installed.returncode != 0:
            pytest.fail(f"`npm ci` in tests/clients failed ({installed.returncode}):\n"
                        f"{installed.stdout}\n{installed.stderr}")
    return CLIENTS


@pytest.mark.parametrize("node_file", NODE_FILES)
def test_javascript_client(node_file: str, node_clients: Path, server: Server) -> None:
    """One file of tests/clients/*.test.mjs under `node --test`: every test in it passes."""
    ran = subprocess.run(
        [NODE, "--test", "--test-reporter=spec", node_file],
        cwd=node_clients, env=server.environment(), capture_output=True, text=True, timeout=NODE_TIMEOUT,
    )
    # The spec reporter lists each failure twice (as it happens, then under "failing tests"): keep the first.
    report = f"{ran.stdout.split(chr(10) + '✖ failing tests:')[0]}\n{ran.stderr}".strip()
    if ran.returncode != 0:
        pytest.fail(f"node --test {node_file} failed (exit {ran.returncode}) against {server.url}:\n{report}",
                    pytrace=False)
    assert "ℹ fail 0" in ran.stdout and "ℹ pass 0" not in ran.stdout, report


@pytest.fixture(scope="module")
def trusted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that runs only the example queries (`--trusted-documents schema/examples`)."""
    root = tmp_path_factory.mktemp("trusted")
    with running_server("--db", str(root / "store.json"), "--data", str(BUNDLED_NEWS),
                        "--trusted-documents", str(REPO / "schema" / "examples"), env={"NEWSGRAPH_TOKEN": TOKEN}) as url:
        yield Server(url=url, watch_dir=root)


def test_apollo_persisted_queries_against_trusted_documents(node_clients: Path, trusted_server: Server) -> None:
    """tests/clients/apollo-trusted.mjs: Apollo's PersistedQueryLink against a trusted-documents server."""
    ran = subprocess.run([NODE, "--test", "--test-reporter=spec", "apollo-trusted.mjs"], cwd=node_clients,
                         env=trusted_server.environment(), capture_output=True, text=True, timeout=NODE_TIMEOUT)
    report = f"{ran.stdout}\n{ran.stderr}".strip()
    if ran.returncode != 0:
        pytest.fail(f"node --test apollo-trusted.mjs failed against {trusted_server.url}:\n{report}", pytrace=False)
    assert "ℹ fail 0" in ran.stdout and "ℹ pass 2" in ran.stdout, report


def test_every_client_file_is_collected() -> None:
    expected = {"apollo.test.mjs", "graphql-http.test.mjs", "graphql-sse.test.mjs", "graphql-ws.test.mjs",
                "urql.test.mjs"}
    assert expected <= set(NODE_FILES), NODE_FILES


def _python_client(mode: str, server: Server | None, tmp_path: Path) -> str:
    """tests/clients/python_gql_client.py MODE in a subprocess whose cwd has no `gql` folder."""
    env = server.environment() if server else dict(os.environ)
    env.pop("PYTHONPATH", None)  # pytest's own path must not reach the client's interpreter
    ran = subprocess.run(
        [sys.executable, str(CLIENTS / "python_gql_client.py"), mode],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    if ran.returncode != 0:
        pytest.fail(f"python_gql_client.py {mode} failed (exit {ran.returncode}):\n{ran.stdout}\n{ran.stderr}",
                    pytrace=False)
    return ran.stdout


def test_python_gql_client_over_http(server: Server, tmp_path: Path) -> None:
    """gql's HTTPXTransport: the schema by introspection, a nested query, local validation against it."""
    assert '"mode": "http"' in _python_client("http", server, tmp_path)


def test_python_gql_client_subscription_over_websocket(server: Server, tmp_path: Path) -> None:
    """gql's WebsocketsTransport (graphql-transport-ws): an importEvents change reaches the subscription."""
    assert '"mode": "websocket"' in _python_client("websocket", server, tmp_path)


def test_the_gql_client_and_newsgraph_install_side_by_side(tmp_path: Path) -> None:
    """Distinct files, both importable from a neutral directory, and the `newsgraph` command works."""
    assert '"mode": "side-by-side"' in _python_client("side-by-side", None, tmp_path)
