"""Files on disk → parsed events → one store write: what `newsgraph load` and scripts run.

Reading and parsing are spread over processes for large batches (parsing dominates
a load); the store is written once at the end, so a failed or killed load leaves
the previous store untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import ContextManager

from gql.collector import collector_paused
from gql.finder import Found, find_markdown
from gql.parse import ParseLimits, Problem, Severity, parse_event
from gql.store import Document, EventStore, event_to_document
from gql.store.documents import STAT_KEY
from gql.store.manifest import Entry

PARALLEL_THRESHOLD = 2_000  # files; below this, starting a fork server and its workers costs more than it saves
FORK_PARALLEL_THRESHOLD = 200  # files; forked workers start in milliseconds, so a 1% reload of 100k uses both cores
DEFAULT_MAX_FILE_BYTES = 1_000_000
CHUNKSIZE = 256  # files per pool task: few enough round trips, small enough to keep both cores busy to the end

# The stat fast path (like git's index): a document read from a file records the file's
# [size, mtime_ns, ctime_ns, inode] under STAT_KEY; a later load that finds all four the
# same skips the file without reading it. Trade-off: a rewrite that keeps size, mtime,
# ctime and inode is missed. ctime cannot be set from user space and changes on every
# write, so that takes a file changed within one timestamp tick of the stat that was
# recorded; such "racy" stats are not recorded at all: a file changed less than
# RACY_NS before it was read is read and hashed again next time (and its stat
# recorded then, when it has settled). Where stats differ, the content hash still
# decides whether the file is parsed again.
RACY_NS = 2_000_000_000


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
    """Read and parse one found file unless the store already holds its bytes (see STAT_KEY)."""
    file, location, stat = found.name, found.location, found.stat
    if stat is None:
        return _rejected(file, 1, f"cannot read: {found.error}")
    if stat[0] > options.max_file_bytes:
        return _rejected(file, 1, f"file is {stat[0]:,} bytes, over the limit of {options.max_file_bytes:,}")
    try:
        with open(file, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        return _rejected(file, 1, f"cannot read: {error.strerror or error}")
    recorded: list[int] | None = stat
    if max(stat[1], stat[2]) > time.time_ns() - RACY_NS:
        recorded = None  # changed just now: it could change again within the same timestamp tick
    digest = content_hash(raw)
    known = known_at(location)
    if known is not None and known.content_hash == digest:
        return _FileOutcome(file, None, (), unchanged=True, stat=recorded)
    outcome = parse_bytes(raw, file, options, digest, location)
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


def _worker_job(found: Found) -> _FileOutcome:
    options, known = _WORKER
    return _read_and_parse(found, options, known.get)


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


def _same_stat(files: list[Found], options: LoadOptions, known: dict[str, Entry]) -> list[Entry | None]:
    """For each file, its stored entry when its stat is the one recorded (the file need not be read); else None."""
    limit = options.max_file_bytes
    return [
        entry if (entry := known.get(found.location)) is not None and entry.stat is not None
        and entry.stat == found.stat and entry.stat[0] <= limit else None
        for found in files
    ]


def _read_and_parse_all(files: list[Found], options: LoadOptions, known: dict[str, Entry]) -> Iterator[_FileOutcome]:
    """Read and parse in order: in this process for small batches, else in a pool of workers.

    The workers read, hash and parse; this process only gathers. They are forked (no
    imports, no pickled state) when this process runs a single thread (the CLI); a
    server's loads run beside other threads, where forking could copy a lock held
    mid-operation, so they use a fork server instead.
    """
    workers = options.workers or os.cpu_count() or 1
    context = _pool_context()
    forked = context.get_start_method() == "fork"
    if len(files) < (FORK_PARALLEL_THRESHOLD if forked else PARALLEL_THRESHOLD) or workers < 2:
        for found in files:
            yield _read_and_parse(found, options, known.get)
        return
    parent = os.getpid() if forked else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(parent, options, known)) as pool:
        chunksize = max(1, min(CHUNKSIZE, len(files) // (workers * 4)))
        yield from pool.map(_worker_job, files, chunksize=chunksize)


def _pool_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["gql.loader"])
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
    is told each file done (`gql.progress.load_progress`).

    The store's writer lock is held from reading the store to writing it, so two
    loads never interleave: the second waits (or fails with StoreError past the
    lock timeout) and then decides against what the first one wrote. The cycle
    collector is paused meanwhile (gql.collector): a load makes an entry per stored
    event and an outcome per file, none cyclic, and full collections over them were
    a fifth of an incremental load.
    """
    with store.writing(), collector_paused():
        return _load_files_locked(store, paths, options, progress)


def _load_files_locked(
    store: EventStore, paths: Iterable[str | os.PathLike[str]], options: LoadOptions,
    progress: Callable[[int], ContextManager[Callable[[int], None]]] | None,
) -> LoadReport:
    roots = [Path(p) for p in paths]
    files = find_markdown(roots)
    stored = store.entries()
    stored_by_file = {entry.file: entry for entry in stored if entry.file}
    known = {file: entry for file, entry in stored_by_file.items() if entry.content_hash}
    report = LoadReport()
    batch = _Batch()
    same_stat = _same_stat(files, options, known) if known else [None] * len(files)
    pending = [found for found, entry in zip(files, same_stat) if entry is None]
    outcomes: list[_FileOutcome] = []
    with progress(len(files)) if progress else contextlib.nullcontext(lambda done: None) as advance:
        advance(len(files) - len(pending))
        for outcome in _read_and_parse_all(pending, options, known):
            outcomes.append(outcome)
            advance(1)
    # Files whose bytes are the stored ones keep their events: they claim their paths before any new or changed file.
    batch.keep([(entry.path, found.name) for found, entry in zip(files, same_stat) if entry is not None], report)
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
    report.loaded = summary.added + summary.changed
    report.unchanged += summary.unchanged
    report.removed = summary.removed
    return report


def load_texts(store: EventStore, documents: Iterable[tuple[str, str]], options: LoadOptions = LoadOptions()) -> LoadReport:
    """Load markdown given as (name, text) pairs in one write, as a script or a mutation does.

    The name only labels problems (and is checked against the canonical path like a
    file location); nothing is recorded as the event's file. `report.documents` says,
    per pair and in order, where it was stored or why not.
    """
    report = LoadReport()
    batch = _Batch()
    for name, text in documents:
        raw = text.encode("utf-8")
        if len(raw) > options.max_file_bytes:
            outcome = _rejected(name, 1, f"document is {len(raw):,} bytes, over the limit of {options.max_file_bytes:,}")
        else:
            outcome = parse_bytes(raw, name, options, content_hash(raw), None)
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
                Problem(outcome.file, 1, f"same canonical path as {first}: {document['path']}", Severity.ERROR)
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
