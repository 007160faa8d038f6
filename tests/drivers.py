"""Test helpers that drive the real parts: HTTP against the ASGI app, and real server processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

REPO = Path(__file__).resolve().parent.parent


class ApiClient:
    """Synchronous HTTP calls to an ASGI app through httpx's ASGI transport (no mocks in between)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(send())

    def post_graphql(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """POST a query; the decoded JSON body (status 200 asserted)."""
        response = self.request("POST", "/graphql", json={"query": query, "variables": variables or {}}, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a query that must succeed without errors."""
        body = self.post_graphql(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The single error of a query that must fail."""
        body = self.post_graphql(query, variables)
        assert body.get("errors"), body
        return body["errors"][0]


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def newsgraph(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real `newsgraph` command (as `python -m newsgraph`) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "newsgraph", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@dataclass
class ServerProcess:
    """A running `newsgraph serve`: its base URL, its process, and what it has logged so far."""

    url: str
    process: subprocess.Popen
    _log: IO[str]

    def log(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def rss_bytes(self) -> int:
        """The server's resident memory now (Linux: VmRSS of /proc/PID/status)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(kilobytes) * 1024


@contextlib.contextmanager
def server_process(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None,
                   startup_timeout: float = 60) -> Iterator[ServerProcess]:
    """`newsgraph serve` in a real uvicorn process on a free port, once it answers /healthz."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty server never blocks on it
    process = subprocess.Popen(
        [sys.executable, "-m", "newsgraph", "serve", "--port", str(port), *args],
        cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited with {process.returncode}: {log.read()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not answer /healthz in time")
            time.sleep(0.1)
        yield ServerProcess(base, process, log)
    finally:
        stop_process(process)
        log.close()


@contextlib.contextmanager
def running_server(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None,
                   startup_timeout: float = 60) -> Iterator[str]:
    """`newsgraph serve` in a real uvicorn process on a free port; yields its base URL."""
    with server_process(*args, cwd=cwd, env=env, startup_timeout=startup_timeout) as server:
        yield server.url


def generated_store_in(directory: Path, events: int, seed: int) -> Any:
    """An EventStore in `directory` holding `events` generated events (bench.corpus), written from their documents."""
    from bench.corpus import generate_events
    from newsgraph.store import EventStore, event_to_document

    store = EventStore(directory / "newsgraph.json")
    store.write([event_to_document(event) for event in generate_events(events, seed)])
    return store


EXAMPLES = REPO / "schema" / "examples"


def example_variables(text: str) -> dict[str, Any]:
    """An example query's variables, as its header comment gives them: `# variables: {...}` ({} when none)."""
    for line in text.splitlines():
        if line.startswith("# variables:"):
            return json.loads(line.removeprefix("# variables:"))
    return {}


def example(path: Path) -> tuple[str, dict[str, Any]]:
    """An example query file's text and its variables."""
    text = path.read_text(encoding="utf-8")
    return text, example_variables(text)
