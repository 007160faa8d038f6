"""`newsgraph serve --workers 2` with real processes: workers forked from one loaded app, a listening socket per
worker, and the master's duties (gunicorn's arbiter, configured in gql/server/workers.py).

Who holds which socket is read from Linux's /proc (net/tcp, net/tcp6 and each
process's fd links), as `ss -tlnp` would show it. No assertion is about timing;
deadlines only bound the waits.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from newsgraph.server.workers import spreads_connections
from newsgraph.store import EventStore
from tests.drivers import REPO, free_port, newsgraph, stop_process

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not spreads_connections(), reason="per-worker sockets need Linux's SO_REUSEPORT")]

LISTEN, ESTABLISHED = "0A", "01"  # socket states as /proc/net/tcp writes them
CONNECTIONS = 100
DEADLINE = 60.0


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    log: IO[str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()


def _tcp(port: int) -> list[tuple[str, str, int]]:
    """(state, inode, receive queue) of each socket whose local port is `port`.

    An inode is "0" for a connection still waiting to be accepted; a listening
    socket's receive queue is the number of connections waiting on it.
    """
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    rows.append((fields[3], fields[9], int(fields[4].split(":")[1], 16)))
    return rows


def _socket_inodes(port: int, state: str) -> set[str]:
    """Inodes of the (accepted, if connections) sockets on the port in `state`."""
    return {inode for found, inode, _queue in _tcp(port) if found == state and inode != "0"}


def _sockets_of(pid: int) -> set[str]:
    """Inodes of the sockets a process holds, from its `socket:[inode]` links under /proc/<pid>/fd."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                inodes.add(os.readlink(fd).removeprefix("socket:[").removesuffix("]"))
    return inodes


def _owners(inodes: set[str]) -> dict[str, int]:
    """Which process holds each socket inode."""
    return {inode: int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()
            for inode in _sockets_of(int(entry.name)) & inodes}


def _listeners(port: int) -> list[int]:
    """The pid owning each listening socket on the port (one entry per socket)."""
    return sorted(_owners(_socket_inodes(port, LISTEN)).values())


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _gone(pid: int) -> bool:
    """No such process, or only its zombie (exited, not yet reaped by whoever inherited it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"not within {DEADLINE:g} s: {what}"
        time.sleep(0.1)


@contextlib.contextmanager
def _serving(store: EventStore, workers: int = 2) -> Iterator[Served]:
    """`newsgraph serve --workers N` over the store on a free port, once every worker listens."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty server never blocks on it
    process = subprocess.Popen(
        [sys.executable, "-m", "newsgraph", "serve", "--db", str(store.path), "--data", str(REPO / "no-such-data"),
         "--port", str(port), "--workers", str(workers)],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    served = Served(process, port, log)
    try:
        _until(lambda: process.poll() is not None or len(_listeners(port)) == workers, "every worker listens")
        assert process.poll() is None, served.output()
        yield served
    finally:
        if process.poll() is None:
            stop_process(process, timeout=30)
        log.close()


@pytest.fixture(scope="module")
def two_workers(bundled_store: EventStore) -> Iterator[Served]:
    with _serving(bundled_store) as served:
        yield served


def _events(base: str) -> int:
    response = httpx.post(base + "/graphql", json={"query": "{ stats { events } }"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["data"]["stats"]["events"]


def _healthz_over(connection: socket.socket) -> bytes:
    """One GET /healthz on an open connection, left open; the whole response."""
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    response = b""
    while b"\r\n\r\n" not in response or len(response.partition(b"\r\n\r\n")[2]) < _length(response):
        chunk = connection.recv(65536)
        assert chunk, f"connection closed mid-response: {response!r}"
        response += chunk
    return response


def _length(response: bytes) -> int:
    found = re.search(rb"(?i)\r\ncontent-length: *(\d+)", response)
    return int(found.group(1)) if found else 0


def test_two_workers_answer_graphql_each_listening_on_a_socket_of_its_own(two_workers: Served) -> None:
    assert _events(two_workers.base) == 214
    workers = _listeners(two_workers.port)
    assert len(workers) == 2 and len(set(workers)) == 2, f"listening sockets by owner: {workers}"
    assert {_parent(pid) for pid in workers} == {two_workers.process.pid}
    for pid in workers:
        assert f"Started server process [{pid}]" in two_workers.output()


def test_the_kernel_deals_fresh_connections_to_both_workers(two_workers: Served) -> None:
    """Which worker gets a connection is decided as it arrives, not by whichever worker accepts first.

    One worker is stopped (SIGSTOP) while 100 connections are opened, and resumed once
    the other has accepted every connection it can. With a socket each, those hashed to
    the stopped worker waited in its own queue, and it serves them; on one shared socket
    the running worker would have taken them all. (A burst of connections alone does not
    tell the two apart reliably: on a shared socket both workers often wake and race.)
    """
    stopped, running = _listeners(two_workers.port)

    def running_worker_caught_up() -> bool:
        mine = _sockets_of(running)
        return all(queue == 0 for state, inode, queue in _tcp(two_workers.port) if state == LISTEN and inode in mine)

    with contextlib.ExitStack() as stack:
        os.kill(stopped, signal.SIGSTOP)
        try:
            connections = [stack.enter_context(socket.create_connection(("127.0.0.1", two_workers.port), timeout=30))
                           for _ in range(CONNECTIONS)]
            _until(running_worker_caught_up, "the running worker accepts what was dealt to it")
        finally:
            os.kill(stopped, signal.SIGCONT)
        for connection in connections:
            assert _healthz_over(connection).startswith(b"HTTP/1.1 200 ")
        holders = Counter(_owners(_socket_inodes(two_workers.port, ESTABLISHED)).values())
    assert set(holders) <= {stopped, running} and sum(holders.values()) == CONNECTIONS, holders
    assert holders[stopped] >= CONNECTIONS // 5 and holders[running] >= CONNECTIONS // 5, holders


def test_the_port_is_checked_up_front(two_workers: Served, bundled_store: EventStore, tmp_path: Path) -> None:
    """Taken by anything, even by another `serve --workers` (whose SO_REUSEPORT sockets ours could join)."""
    with socket.create_server(("127.0.0.1", 0)) as other:
        for port in (other.getsockname()[1], two_workers.port):
            done = newsgraph("serve", "--db", str(bundled_store.path), "--data", str(tmp_path / "none"),
                             "--port", str(port), "--workers", "2", timeout=60)
            assert done.returncode == 1, done.stdout + done.stderr
            assert done.stderr.strip() == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert _events(two_workers.base) == 214


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_every_worker_gracefully_and_the_server_exits_0(bundled_store: EventStore,
                                                                       stop: signal.Signals) -> None:
    with _serving(bundled_store) as served:
        workers = _listeners(served.port)
        served.process.send_signal(stop)
        assert served.process.wait(timeout=DEADLINE) == 0, served.output()
        assert all(_gone(pid) for pid in workers)
        for pid in workers:
            assert f"Finished server process [{pid}]" in served.output()  # uvicorn's graceful shutdown ran


def test_a_killed_worker_is_replaced_and_requests_are_still_answered(bundled_store: EventStore) -> None:
    with _serving(bundled_store) as served:
        killed, survivor = _listeners(served.port)
        os.kill(killed, signal.SIGKILL)
        # a connection the kernel queued on the dying worker's socket is reset (SO_REUSEPORT); once it is gone,
        # fresh connections reach the survivor while the replacement starts
        _until(lambda: killed not in _listeners(served.port), "the killed worker's socket closes")
        assert all(_events(served.base) == 214 for _ in range(10))
        _until(lambda: len(set(_listeners(served.port)) - {survivor, killed}) == 1, "a replacement listens")
        assert all(_events(served.base) == 214 for _ in range(10))
        replacement = (set(_listeners(served.port)) - {survivor}).pop()
        assert _parent(replacement) == served.process.pid
        assert f"Worker (pid:{killed}) was sent SIGKILL!" in served.output()  # gunicorn's arbiter saw it die
        assert f"Started server process [{replacement}]" in served.output()


def test_no_worker_outlives_a_killed_supervisor(bundled_store: EventStore) -> None:
    with _serving(bundled_store) as served:
        workers = _listeners(served.port)
        served.process.kill()
        served.process.wait()
        _until(lambda: all(_gone(pid) for pid in workers), "the orphaned workers exit")


def test_the_workers_serve_one_archive_built_before_they_were_forked(bundled_store: EventStore) -> None:
    """The archive and its search index are built once, in the master, and both workers answer from that copy:
    the same `loadedAt` from each (workers that each built their own would differ), search ready from the start."""
    with _serving(bundled_store) as served:
        workers = _listeners(served.port)
        with contextlib.ExitStack() as stack:
            connections = [stack.enter_context(socket.create_connection(("127.0.0.1", served.port), timeout=30))
                           for _ in range(20)]
            answers = {}
            for connection in connections:
                body = json.loads(_healthz_over(connection).partition(b"\r\n\r\n")[2])
                (owner,) = set(_owners(_server_end(connection)).values())
                answers.setdefault(owner, set()).add((body["loadedAt"], body["search"]))
        assert set(answers) == set(workers), answers  # 20 connections reached both workers
        assert len(set.union(*answers.values())) == 1, answers
        assert next(iter(set.union(*answers.values())))[1] == "ready"


def _server_end(connection: socket.socket) -> set[str]:
    """The inode of the server's end of a client connection: the row of /proc/net/tcp whose remote port is ours."""
    client_port = connection.getsockname()[1]
    return {fields[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:] if (fields := line.split())
            and int(fields[2].rsplit(":", 1)[1], 16) == client_port and fields[3] == ESTABLISHED}


def test_an_app_that_cannot_be_built_stops_the_server_before_any_worker_starts(tmp_path: Path) -> None:
    """`serve` refuses a corrupt store before starting the master; a store damaged after that check (here: the
    master is started on it directly) fails the one build in the master, which exits 1 without forking."""
    corrupt = tmp_path / "newsgraph.json"
    corrupt.write_text("not a store", encoding="utf-8")
    master = ("import sys; from newsgraph.server.workers import reserve_port, supervise; "
              "sys.exit(supervise('newsgraph.server.starting:app_from_environment', reserve_port('127.0.0.1', 0), 2))")
    done = subprocess.run([sys.executable, "-c", master], capture_output=True, text=True, timeout=DEADLINE,
                          cwd=REPO, env={**os.environ, "NEWSGRAPH_SERVER_SETTINGS": json.dumps({"db": str(corrupt)})})
    assert done.returncode == 1, done.stderr
    assert "not a JSON store" in done.stderr and "the app could not be built" in done.stderr
    assert "Booting worker" not in done.stderr
    refused = newsgraph("serve", "--db", str(corrupt), "--data", str(tmp_path / "none"), "--port", str(free_port()),
                        "--workers", "2", timeout=DEADLINE)
    assert refused.returncode == 1 and refused.stderr.count("error:") == 1, refused.stderr
    assert "could not" not in refused.stderr


def test_a_worker_that_cannot_start_stops_the_server_instead_of_being_replaced_forever() -> None:
    """An app whose startup fails in every worker (here: its lifespan raises) stops the master with exit 1."""
    master = """if True:
        import contextlib, sys
        from starlette.applications import Starlette
        from newsgraph.server.workers import reserve_port, supervise

        @contextlib.asynccontextmanager
        async def lifespan(app):
            raise RuntimeError("no startup today")
            yield

        sys.exit(supervise(lambda: Starlette(lifespan=lifespan), reserve_port("127.0.0.1", 0), 2))
    """
    done = subprocess.run([sys.executable, "-c", master], capture_output=True, text=True, timeout=DEADLINE, cwd=REPO)
    assert done.returncode == 1, done.stderr
    assert "no startup today" in done.stderr and "a worker process could not start" in done.stderr
    assert done.stderr.count("Booting worker") <= 2, done.stderr  # none replaced
