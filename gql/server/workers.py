"""`newsgraph serve --workers N`: gunicorn runs N uvicorn workers forked from one process that loaded the archive.

The app (its archive and search index) is built once, in the master, before any worker
exists (`preload_app`); the collector's generations are then frozen (`gc.freeze`) and the
workers fork from it, so the archive's pages are shared copy-on-write instead of each
worker building and holding its own. A worker writes only to the pages its queries touch
(refcounts) and, after a reload of the store, holds the new archive it built by itself.

Each worker listens on a socket of its own (gunicorn's `reuse_port`: SO_REUSEPORT, one
socket bound per worker after the fork), and the kernel spreads new connections over them
by a hash of their addresses. On one shared socket, a client holding a few keep-alive
connections (a proxy's pool, the benchmark's load generator) often has every one of them
accepted by one worker while the other idles.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.errors import HaltServer
from uvicorn.importer import import_from_string

from newsgraph.server.timeouts import TimedRequests

with warnings.catch_warnings():  # uvicorn.workers is kept, with a note pointing at the `uvicorn-worker` package
    warnings.simplefilter("ignore", DeprecationWarning)
    from uvicorn.workers import UvicornWorker

logger = logging.getLogger("uvicorn.error")

ORPHAN_GRACE_SECONDS = 10.0  # how long a worker left without its master may take to shut down gracefully
HEARTBEAT_SECONDS = 120  # gunicorn replaces a worker whose event loop has not ticked for this long (a hung one)
GRACEFUL_SECONDS = 30  # after SIGTERM/SIGINT, how long workers may finish their requests before they are killed
KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this long (uvicorn's default)

AppFactory = Callable[[], Any]


def spreads_connections() -> bool:
    """Whether SO_REUSEPORT balances connections over the sockets sharing a port.

    Linux hashes each connection to one of them; macOS and most BSDs accept
    SO_REUSEPORT but give every connection to a single socket.
    """
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def reserve_port(host: str, port: int) -> socket.socket:
    """Bind host:port without listening, held by the master: fails fast (OSError) when the port is taken.

    A bound socket that does not listen is given no connections. The probe bind comes
    first, without SO_REUSEPORT, because it fails whenever anything listens on the
    port, even another newsgraph whose SO_REUSEPORT workers ours would otherwise join.
    Port 0 becomes the free port the probe got, so every worker binds the same one.
    """
    with _socket(host) as probe:
        probe.bind((host, port))
        port = probe.getsockname()[1]
    return _reuseport_socket(host, port)


def supervise(app: str | AppFactory, reserved: socket.socket, workers: int) -> int:
    """Build the app once (`app()`, or the factory the import string `app` names), then serve it from `workers`
    processes forked from this one until SIGINT or SIGTERM.

    Returns the exit status: 0 after a signal (every worker shut down gracefully), 1
    when the app could not be built or a worker could not start (gunicorn stops rather
    than replace it: a replacement would fail the same way). A worker that dies
    otherwise is replaced, forked again from the loaded app.
    """
    host, port = reserved.getsockname()[:2]
    runner = _Gunicorn(app, f"[{host}]:{port}" if ":" in host else f"{host}:{port}", workers, reserved)
    master = os.getpid()
    try:
        try:
            runner.run()
        except HaltServer as halt:  # raised again while halting (a second worker failing to boot): stop them all
            if runner.arbiter is not None:
                runner.arbiter.kill_workers(signal.SIGKILL)
            sys.exit(halt.exit_status)
    except SystemExit as stop:
        if os.getpid() != master:  # a worker's exit, as gunicorn means it (3: could not boot, which stops the master)
            raise
        status = stop.code if isinstance(stop.code, int) else 1
        if status == Arbiter.WORKER_BOOT_ERROR:
            logger.error("Stopping: a worker process could not start, and a replacement would fail alike")
        elif status:
            logger.error("Stopping: %s", runner.failure or f"gunicorn exited with status {status}")
        return 0 if status == 0 else 1
    return 0


class NewsgraphWorker(UvicornWorker):
    """uvicorn in a gunicorn worker, with our slow-client timeouts and no life beyond its master's."""

    CONFIG_KWARGS = {"loop": "auto", "http": TimedRequests}

    def init_process(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the master stops us
        _shut_down_without(self.ppid)
        super().init_process()

    def init_signals(self) -> None:
        super().init_signals()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # uvicorn installs its own handlers once it serves


class _Arbiter(Arbiter):
    def handle_int(self) -> None:
        """SIGINT stops as gracefully as SIGTERM (gunicorn's own SIGINT is a quick shutdown)."""
        raise StopIteration


class _Gunicorn(BaseApplication):
    """gunicorn configured from our settings, in code: no config file, no command line of its own."""

    def __init__(self, factory: str | AppFactory, bind: str, workers: int, reserved: socket.socket) -> None:
        self.factory, self.bind, self.workers, self.reserved = factory, bind, workers, reserved
        self.failure: str | None = None
        self.arbiter: _Arbiter | None = None
        super().__init__()

    def load_config(self) -> None:
        reserved = self.reserved

        def post_fork(_arbiter: Arbiter, _worker: Any) -> None:
            reserved.close()  # the master's hold on the port; each worker binds its own listening socket

        def worker_abort(worker: Any) -> None:
            logger.warning("Worker process [%d] did not answer its heartbeat; replacing it", worker.pid)

        for name, value in {
            "bind": [self.bind], "workers": self.workers, "worker_class": f"{__name__}.NewsgraphWorker",
            "preload_app": True, "reuse_port": True, "timeout": HEARTBEAT_SECONDS,
            "graceful_timeout": GRACEFUL_SECONDS, "keepalive": KEEP_ALIVE_SECONDS,
            "loglevel": "info", "errorlog": "-", "accesslog": "-", "proc_name": "newsgraph",
            "control_socket_disable": True,  # gunicorn's control socket: a file under $HOME and a master thread
            "post_fork": post_fork, "worker_abort": worker_abort,
        }.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        """The app, built in the master before the fork; what it made is frozen out of the collector's sight.

        A collection in a worker would otherwise walk every object of the archive, writing
        to their headers, and un-share their pages (newsgraph.collector).
        """
        try:
            factory = import_from_string(self.factory) if isinstance(self.factory, str) else self.factory
            app = factory()
        except Exception as error:
            self.failure = f"the app could not be built: {error}"
            logger.exception("The app could not be built")
            sys.exit(1)
        gc.collect()  # as newsgraph.collector.refreeze (which server/ may not import): what is alive now is kept
        gc.freeze()
        return app

    def run(self) -> None:
        self.arbiter = _Arbiter(self)
        self.arbiter.run()


def _shut_down_without(master: int) -> None:
    """Shut down as on SIGTERM once the master is gone (say, SIGKILLed), so no worker outlives it."""

    def watch() -> None:
        while os.getppid() == master:
            time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(ORPHAN_GRACE_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-master", daemon=True).start()


def _socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: restart despite TIME_WAIT connections
    return sock


def _reuseport_socket(host: str, port: int) -> socket.socket:
    sock = _socket(host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
