"""`newsgraph serve --workers N`: N uvicorn worker processes, each listening on a socket of its own.

uvicorn's own `workers=` hands every worker the same listening socket, and each
worker's event loop accepts all the connections waiting on it at once, so a client
holding a few keep-alive connections (a proxy's pool, the benchmark's load generator)
often has every one of them served by one worker while the others idle. Here each
worker binds host:port itself with SO_REUSEPORT, and the kernel spreads new
connections over the listening sockets by a hash of their addresses.
"""

from __future__ import annotations

import logging
import logging.config
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

import uvicorn
from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE

from newsgraph.server.timeouts import TimedRequests

logger = logging.getLogger("uvicorn.error")

ORPHAN_GRACE_SECONDS = 10.0  # how long a worker left without its supervisor may take to shut down gracefully


def spreads_connections() -> bool:
    """Whether SO_REUSEPORT balances connections over the sockets sharing a port.

    Linux hashes each connection to one of them; macOS and most BSDs accept
    SO_REUSEPORT but give every connection to a single socket.
    """
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def reserve_port(host: str, port: int) -> socket.socket:
    """Bind host:port without listening, held by the supervisor: fails fast (OSError) when the port is taken.

    A bound socket that does not listen is given no connections. The probe bind comes
    first, without SO_REUSEPORT, because it fails whenever anything listens on the
    port, even another newsgraph whose SO_REUSEPORT workers ours would otherwise join.
    Port 0 becomes the free port the probe got, so every worker binds the same one.
    """
    with _socket(host) as probe:
        probe.bind((host, port))
        port = probe.getsockname()[1]
    return _reuseport_socket(host, port)


def supervise(app: str, reserved: socket.socket, workers: int) -> int:
    """Run `workers` processes serving the app factory `app` on the reserved address until SIGINT or SIGTERM.

    Returns the exit status: 0 after a signal (every worker shut down gracefully),
    1 when a worker could not start (a replacement would fail the same way). A worker
    that dies otherwise is replaced. Workers are spawned, not forked, because this
    process may run the `--watch` thread.
    """
    logging.config.dictConfig(LOGGING_CONFIG)  # the workers' format, as each uvicorn.Config sets it up there
    host, port = reserved.getsockname()[:2]
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGINT, signal.SIGTERM)}

    def start() -> BaseProcess:
        process = context.Process(target=_serve, args=(app, host, port, os.getpid()), name="newsgraph-worker")
        process.start()
        return process

    logger.info("Started parent process [%d]", os.getpid())
    logger.info("Serving on %s:%d with %d workers, a listening socket each (Press CTRL+C to quit)",
                host, port, workers)
    processes: list[BaseProcess] = []
    try:
        for _ in range(workers):
            processes.append(start())
        while not stop.is_set():
            wait([process.sentinel for process in processes], timeout=0.5)
            for index, process in enumerate(processes):
                if process.exitcode is None or stop.is_set():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    logger.error("Stopping: worker process [%d] could not start, and a replacement would fail alike",
                                 process.pid)
                    return 1
                logger.warning("Worker process [%d] died (exit code %d); starting another", process.pid,
                               process.exitcode)
                processes[index] = start()
        return 0
    finally:
        for process in processes:
            if process.exitcode is None:
                process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        for process in processes:
            process.join()
        for number, handler in previous.items():
            signal.signal(number, handler)
        logger.info("Stopping parent process [%d]", os.getpid())


def _serve(app: str, host: str, port: int, supervisor: int) -> None:
    """A worker process: bind its own socket, build the app, and let uvicorn listen and serve."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the supervisor stops us
    _shut_down_without(supervisor)
    config = uvicorn.Config(app, factory=True, host=host, port=port, log_level="info", http=TimedRequests)
    try:  # whatever fails here would fail the same way in a replacement
        sock = _reuseport_socket(host, port)  # it listens once the app is built, in uvicorn's startup
        config.load()
    except SystemExit:  # uvicorn has logged why
        sys.exit(STARTUP_FAILURE)
    except Exception:
        logger.exception("Worker process [%d] could not start", os.getpid())
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


def _shut_down_without(supervisor: int) -> None:
    """Shut down as on SIGTERM once the supervisor is gone (say, SIGKILLed), so no worker outlives it."""

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(ORPHAN_GRACE_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-supervisor", daemon=True).start()


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
