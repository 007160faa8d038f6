"""Files on disk → parsed events → one store write: what `newsgraph load` and scripts run.

Reading and parsing are spread over processes for large batches (parsing dominates
a load), and start while the directories are still being scanned; the store is written
once at the end, so a failed or killed load leaves the previous store untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ContextManager

from newsgraph.collector import collector_paused
from newsgraph.finder import Found, find_markdown, shown_name
from newsgraph.listings import RACY_NS, is_utf8, read_listings, write_listings
from newsgraph.parse import ParseLimits, Problem, Severity, parse_event
from newsgraph.store import Document, EventStore, event_to_document
from newsgraph.store.documents import STAT_KEY
from newsgraph.store.manifest import Entry

PARALLEL_THRESHOLD = 2_000  # files; below this, starting a fork server and its workers costs more than it saves
FORK_PARALLEL_THRESHOLD = 32  # files; forked workers start in milliseconds and then parse while the scan goes on
DEFAULT_MAX_FILE_BYTES = 1_000_000
FIRST_CHUNK = 16  # files per pool task at first: the workers start while the scan has just begun
CHUNKSIZE = 256  # files per pool task at most: few enough round trips, small enough to keep both cores busy to the end

# The stat fast path (like git's index): a document read from a file records the file's
# [size, mtime_ns, ctime_ns, inode] under STAT_KEY; a later load that finds all four the
# same skips the file without reading it. Trade-off: a rewrite that keeps size, mtime,
# ctime and inode is missed. ctime cannot be set from user space and changes on every
# write, so that takes a file changed within one timestamp tick of the stat that was
# recorded; such "racy" stats are not recorded at all: a file changed less than
# RACY_NS before it was read is read and hashed again next time (and its stat
# recorded then, when it has settled; newsgraph.listings applies the same rule to directories).
# Where stats differ, the content hash still decides whether the file is parsed again.


class LoadFailed(Exception):
    """The load could not finish (a worker process died, say killed by the system) and wrote nothing."""


@dataclass(frozen=True)
class LoadOptions:
    """How strict a load is and how much it accepts."""

    limits: ParseLimits = ParseLimits()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    strict: bool = False  # warnings reject a file
    prune: bool = False  # remove stored events whose file is gone from the loaded directories
    workers: int | None = None  # None: all cores for large batches


@dataclass
class LoadReport:
    """The outcome of one load: counts and every problem, each located as `file:line: message`."""

    loaded: int = 0  # new or changed events
    unchanged: int = 0
    rejected: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)
    documents: list[DocumentOutcome] = field(default_factory=list)  # per input, filled by `load_texts`

    @property
    def warnings(self) -> int:
        return sum(problem.severity is Severity.WARNING for problem in self.problems)

    def as_dict(self) -> dict:
        return {
            "loaded": self.loaded,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "removed": self.removed,
            "warnings": self.warnings,
            "problems": [
                {"file": p.file, "line": p.line, "message": p.message, "severity": p.severity.value}
                for p in self.problems
            ],
        }


@dataclass(frozen=True)
class DocumentOutcome:
    """What became of one markdown text: the canonical path it is stored at (None when rejected), its problems."""

    name: str
    path: str | None
    problems: tuple[Problem, ...]


@dataclass(slots=True)
class _FileOutcome:
    """One file read and parsed: its document when accepted, its problems either way.

    `unchanged` says the file's bytes are what the store holds for its location, so it
    was not parsed; `stat` is the file's stat to record, None when racy or unknown.
    """

    file: str
    document: Document | None
    problems: tuple[Problem, ...]
    unchanged: bool = False
    stat: list[int] | None = None


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _read_and_parse(found: Found, options: LoadOptions, known_at: Callable[[str], Entry | None]) -> _FileOutcome:
    """Read and parse one found file unless the store already holds its bytes (see STAT_KEY).

    Its problems name it as a report line can show it (`shown_name`). At most the size
    limit and one byte more is read, whatever its stat said: a file may grow after it,
    and a /proc file (say, behind a symlink) says 0.
    """
    file, location, stat, limit = found.name, found.location, found.stat, options.max_file_bytes
    label = shown_name(file)
    if stat is None:
        return _rejected(label, 1, f"cannot read: {found.error}")
    if not is_utf8(location):  # the store (JSON) could not record where it came from
        return _rejected(label, 1, "the file's name (or its directory's) is not UTF-8: rename it to load it")
    if stat[0] > limit:
        return _rejected(label, 1, f"file is {stat[0]:,} bytes, over the limit of {limit:,}")
    try:
        with open(file, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as error:
        return _rejected(label, 1, f"cannot read: {error.strerror or error}")
    if len(raw) > limit:
        return _rejected(label, 1, f"file is over the limit of {limit:,} bytes, though its size said {stat[0]:,}")
    recorded: list[int] | None = stat
    if max(stat[1], stat[2]) > time.time_ns() - RACY_NS:
        recorded = None  # changed just now: it could change again within the same timestamp tick
    digest = content_hash(raw)
    known = known_at(location)
    if known is not None and known.content_hash == digest:
        return _FileOutcome(file, None, (), unchanged=True, stat=recorded)
    outcome = parse_bytes(raw, file, options, digest, location)
    if label != file:  # the parser checks the name as it is; the report shows it quoted
        outcome.file, outcome.problems = label, tuple(replace(problem, file=label) for problem in outcome.problems)
    if outcome.document is not None and recorded is not None:
        outcome.document[STAT_KEY] = recorded
    return outcome


def parse_bytes(raw: bytes, file: str, options: LoadOptions, digest: str, location: str | None) -> _FileOutcome:
    """Decode (strict UTF-8) and parse; binary or undecodable input is rejected at its line.

    `location`, the file's resolved path, is recorded with the document (for incremental
    loads and `--prune`); text that never was a file (a script's string, a mutation) has none.
    """
    if b"\0" in raw:
        return _rejected(file, raw[: raw.index(b"\0")].count(b"\n") + 1, "binary data (NUL byte), not a markdown file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return _rejected(file, line, f"invalid UTF-8 at byte {error.start}")
    result = parse_event(text, file, options.limits)
    problems = result.problems
    if options.strict and result.event is not None and problems:
        problems = tuple(Problem(p.file, p.line, p.message + " (--strict)", Severity.ERROR) for p in problems)
        return _FileOutcome(file, None, problems)
    if result.event is None:
        return _FileOutcome(file, None, problems)
    return _FileOutcome(file, event_to_document(result.event, location, digest), problems)


def _rejected(file: str, line: int, message: str) -> _FileOutcome:
    return _FileOutcome(file, None, (Problem(file, line, message, Severity.ERROR),))


# A pool worker's load: set by `_start_worker` (with fork, inherited as it is).
_WORKER: tuple[LoadOptions, dict[str, Entry]] | None = None


def _start_worker(parent: int | None, options: LoadOptions, known: dict[str, Entry]) -> None:
    global _WORKER
    _WORKER = (options, known)
    _exit_with_parent(parent)


def _worker_job(files: list[Found]) -> list[_FileOutcome]:
    options, known = _WORKER
    return [_read_and_parse(found, options, known.get) for found in files]


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


class _Parsing:
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
        self._chunks: list[Future[list[_FileOutcome]]] = []
        self._running: list[Future[list[_FileOutcome]]] = []  # sent while the scan goes on, not seen done yet
        self._pool: ProcessPoolExecutor | None = None
        self._workers = options.workers or os.cpu_count() or 1
        self._context = _pool_context()
        forked = self._context.get_start_method() == "fork"
        self._threshold = FORK_PARALLEL_THRESHOLD if forked else PARALLEL_THRESHOLD
        self._parent = os.getpid() if forked else None

    def __enter__(self) -> _Parsing:
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

    def outcomes(self) -> Iterator[_FileOutcome]:
        """Every handed-over file's outcome, in order; call once the scan is done."""
        if self._pool is None:
            for found in self._unsent:
                yield _read_and_parse(found, self._options, self._known.get)
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

    def _send(self, files: list[Found]) -> Future[list[_FileOutcome]]:
        chunk = self._pool.submit(_worker_job, files)
        self._chunks.append(chunk)
        return chunk


def _pool_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["newsgraph.loader"])
        return context
    return multiprocessing.get_context("spawn")


def load_files(
    store: EventStore,
    paths: Iterable[str | os.PathLike[str]],
    options: LoadOptions = LoadOptions(),
    progress: Callable[[int], ContextManager[Callable[[int], None]]] | None = None,
) -> LoadReport:
    """Load markdown files and directories into the store in one write; see `LoadReport`.

    `progress`, given the number of files found, makes the context of a callback that
    is told each file done (`newsgraph.progress.load_progress`).

    The store's writer lock is held from reading the store to writing it, so two
    loads never interleave: the second waits (or fails with StoreError past the
    lock timeout) and then decides against what the first one wrote. A worker that
    dies fails the load with LoadFailed, the store untouched. The cycle
    collector is paused meanwhile (newsgraph.collector): a load makes an entry per stored
    event and an outcome per file, none cyclic, and full collections over them were
    a fifth of an incremental load.
    """
    with store.writing(), collector_paused():
        try:
            return _load_files_locked(store, paths, options, progress)
        except BrokenProcessPool as error:
            raise LoadFailed(f"a worker process reading and parsing files died ({error}); the store is unchanged") from None


def _load_files_locked(
    store: EventStore, paths: Iterable[str | os.PathLike[str]], options: LoadOptions,
    progress: Callable[[int], ContextManager[Callable[[int], None]]] | None,
) -> LoadReport:
    roots = [Path(p) for p in paths]
    listings = read_listings(store.path)
    found_files = find_markdown(roots, listings)
    stored = store.entries()
    stored_by_file = {entry.file: entry for entry in stored if entry.file}
    known = {file: entry for file, entry in stored_by_file.items() if entry.content_hash}
    report = LoadReport()
    batch = _Batch()
    files: list[Found] = []
    kept: list[tuple[str, str]] = []  # (path, file) of files whose stat is the recorded one: not read again
    limit = options.max_file_bytes
    with _Parsing(options, known) as parsing:
        for found in found_files:
            if found.skipped:  # a dangling link, a FIFO: nothing to read, but the user hears of it
                report.problems.append(Problem(shown_name(found.name), 1, found.skipped, Severity.WARNING))
                continue
            files.append(found)
            entry = known.get(found.location)
            if entry is not None and entry.stat is not None and entry.stat == found.stat and entry.stat[0] <= limit:
                kept.append((entry.path, found.name))
            else:
                parsing.add(found)
        pending = parsing.files
        outcomes: list[_FileOutcome] = []
        with progress(len(files)) if progress else contextlib.nullcontext(lambda done: None) as advance:
            advance(len(files) - len(pending))
            for outcome in parsing.outcomes():
                outcomes.append(outcome)
                advance(1)
    # Files whose bytes are the stored ones keep their events: they claim their paths before any new or changed file.
    batch.keep(kept, report)
    for found, outcome in zip(pending, outcomes):
        if outcome.unchanged:
            entry = known[found.location]
            if outcome.stat is not None and entry.stat != outcome.stat:
                batch.restat(entry._replace(stat=outcome.stat), found.name)  # same bytes, new stat: record it
            else:
                batch.keep([(entry.path, found.name)], report)
    for outcome in outcomes:
        if not outcome.unchanged:
            batch.add(outcome, report)
    restated = store.documents_at(batch.restats.values())
    for path, entry in batch.restats.items():
        if path in restated:
            batch.documents[path] = {**restated[path], STAT_KEY: entry.stat}
    removals = _pruned(stored, roots, {found.location for found in files}) if options.prune else set()
    summary = store.write(batch.documents.values(), removals - set(batch.claimed))
    write_listings(store.path, listings, [os.path.realpath(root) for root in roots if root.is_dir()])
    report.loaded = summary.added + summary.changed
    report.unchanged += summary.unchanged
    report.removed = summary.removed
    return report


def load_texts(store: EventStore, documents: Iterable[tuple[str, str]], options: LoadOptions = LoadOptions(),
               refused: Callable[[str], str | None] | None = None) -> LoadReport:
    """Load markdown given as (name, text) pairs in one write, as a script or a mutation does.

    The name only labels problems (and is checked against the canonical path like a
    file location); nothing is recorded as the event's file. `report.documents` says,
    per pair and in order, where it was stored or why not. `refused`, given a document's
    canonical path, says why it may not be stored there (None: it may), which rejects it.
    """
    report = LoadReport()
    batch = _Batch()
    for name, text in documents:
        raw = text.encode("utf-8")
        if len(raw) > options.max_file_bytes:
            outcome = _rejected(name, 1, f"document is {len(raw):,} bytes, over the limit of {options.max_file_bytes:,}")
        else:
            outcome = parse_bytes(raw, name, options, content_hash(raw), None)
        reason = refused(outcome.document["path"]) if refused and outcome.document is not None else None
        if reason:
            outcome = _FileOutcome(name, None, (*outcome.problems, Problem(name, 1, reason, Severity.ERROR)))
        first_problem = len(report.problems)
        stored_path = batch.add(outcome, report)
        report.documents.append(DocumentOutcome(name, stored_path, tuple(report.problems[first_problem:])))
    summary = store.write(batch.documents.values())
    report.loaded = summary.added + summary.changed
    report.unchanged += summary.unchanged
    return report


class _Batch:
    """The documents of one load, one per canonical path: a second file with a claimed path is rejected."""

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        self.claimed: dict[str, str] = {}  # canonical path -> the file that holds it
        self.restats: dict[str, Entry] = {}  # canonical path -> its stored entry with the file's new stat

    def keep(self, kept: list[tuple[str, str]], report: LoadReport) -> None:
        """Count files whose bytes are the stored ones (path, file): not parsed again, each claims its path."""
        report.unchanged += len(kept)
        self.claimed.update(kept)

    def restat(self, entry: Entry, file: str) -> None:
        """A file whose bytes are the stored ones under a new stat: its document is written again with that stat
        (the store counts it unchanged: the stat is bookkeeping)."""
        self.restats[entry.path] = entry
        self.claimed[entry.path] = file

    def add(self, outcome: _FileOutcome, report: LoadReport) -> str | None:
        """Count a new or changed file's outcome; the canonical path it holds in this batch, None when rejected."""
        report.problems.extend(outcome.problems)
        document = outcome.document
        if document is None:
            report.rejected += 1
            return None
        first = self.claimed.get(document["path"])
        if first is not None:
            report.rejected += 1
            report.problems.append(
                Problem(outcome.file, 1, f"same canonical path as {shown_name(first)}: {document['path']}",
                        Severity.ERROR)
            )
            return None
        self.claimed[document["path"]] = outcome.file
        self.documents[document["path"]] = document
        return document["path"]


def _pruned(stored: list[Entry], roots: list[Path], seen_files: set[str]) -> set[str]:
    """Paths of stored events whose file lay under a loaded directory and is gone now."""
    directories = [str(root.resolve()) + os.sep for root in roots if root.is_dir()]
    return {
        entry.path
        for entry in stored
        if entry.file
        and entry.file not in seen_files
        and any(entry.file.startswith(directory) for directory in directories)
        and not os.path.exists(entry.file)
    }
