"""The pool of worker processes that read and parse a load's files while the scan goes on."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from newsgraph.load.finder import Found
from newsgraph.load.reading import FileOutcome, read_and_parse
from newsgraph.load.report import LoadOptions
from newsgraph.store import Entry

PARALLEL_THRESHOLD = 2_000  # files; below this, starting a fork server and its workers costs more than it saves
FORK_PARALLEL_THRESHOLD = 32  # files; forked workers start in milliseconds and then parse while the scan goes on
FIRST_CHUNK = 16  # files per pool task at first: the workers start while the scan has just begun
CHUNKSIZE = 256  # files per pool task at most: few enough round trips, small enough to keep both cores busy to the end


# A pool worker's load: set by `_start_worker` (with fork, inherited as it is).
_WORKER: tuple[LoadOptions, dict[str, Entry]] | None = None


def _start_worker(parent: int | None, options: LoadOptions, known: dict[str, Entry]) -> None:
    global _WORKER
    _WORKER = (options, known)
    _exit_with_parent(parent)


def _worker_job(files: list[Found]) -> list[FileOutcome]:
    assert _WORKER is not None, "set by the pool's initializer"
    options, known = _WORKER
    return [read_and_parse(found, options, known.get) for found in files]


def _exit_with_parent(parent: int | None) -> None:
    """Pool worker initializer: exit when the loading process is gone (say, SIGKILLed).

    Forked workers hold their own job queue open, so they would otherwise wait for
    work forever as orphans. `parent` None: the worker's parent now (a fork server,
    which itself exits when the loading process is gone).
    """
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class Parsing:
    """The reading and parsing of a load's new and changed files, handed over one by one as the scan finds them.

    A few are read and parsed in this process once the scan is done. Once enough are
    pending, a pool of workers starts and takes them in chunks while the scan goes on,
    so on two cores the stat of every file and the parsing of the changed ones overlap:
    while this process scans, it keeps one worker fewer than the cores busy (a worker
    more would only slow the scan), and all of them once the scan is done.
    The workers read, hash and parse; this process only gathers. They are forked (no
    imports, no pickled state) when this process runs a single thread (the CLI); a
    server's loads run beside other threads, where forking could copy a lock held
    mid-operation, so they use a fork server, which is worth starting for more files.
    """

    def __init__(self, options: LoadOptions, known: dict[str, Entry]) -> None:
        self._options, self._known = options, known
        self.files: list[Found] = []  # every file handed over, in order
        self._unsent: list[Found] = []
        self._chunks: list[Future[list[FileOutcome]]] = []
        self._running: list[Future[list[FileOutcome]]] = []  # sent while the scan goes on, not seen done yet
        self._pool: ProcessPoolExecutor | None = None
        self._workers = options.workers or os.cpu_count() or 1
        self._context = pool_context()
        forked = self._context.get_start_method() == "fork"
        self._threshold = FORK_PARALLEL_THRESHOLD if forked else PARALLEL_THRESHOLD
        self._parent = os.getpid() if forked else None

    def __enter__(self) -> Parsing:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def add(self, found: Found) -> None:
        self.files.append(found)
        self._unsent.append(found)
        if self._pool is None and len(self._unsent) >= self._threshold and self._workers >= 2:
            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=self._context,
                                             initializer=_start_worker,
                                             initargs=(self._parent, self._options, self._known))
        if self._pool is not None and len(self._unsent) >= self._chunk_size() and self._room_beside_the_scan():
            self._running.append(self._send(self._unsent))
            self._unsent = []

    def outcomes(self) -> Iterator[FileOutcome]:
        """Every handed-over file's outcome, in order; call once the scan is done."""
        if self._pool is None:
            for found in self._unsent:
                yield read_and_parse(found, self._options, self._known.get)
            return
        size = max(1, min(CHUNKSIZE, len(self._unsent) // (self._workers * 4)))  # every core busy to the end
        for start in range(0, len(self._unsent), size):
            self._send(self._unsent[start:start + size])
        self._unsent = []
        for chunk in self._chunks:
            yield from chunk.result()

    def _chunk_size(self) -> int:
        """Small chunks while few files are sent (the workers start early), larger ones as a full load goes on."""
        return min(CHUNKSIZE, max(FIRST_CHUNK, (len(self.files) - len(self._unsent)) // 8))

    def _room_beside_the_scan(self) -> bool:
        self._running = [chunk for chunk in self._running if not chunk.done()]
        return len(self._running) < max(1, self._workers - 1)

    def _send(self, files: list[Found]) -> Future[list[FileOutcome]]:
        assert self._pool is not None
        chunk = self._pool.submit(_worker_job, files)
        self._chunks.append(chunk)
        return chunk


def pool_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["newsgraph.load.pool"])
        return context
    return multiprocessing.get_context("spawn")
