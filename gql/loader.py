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
import stat as stat_module
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import ContextManager

from gql.collector import collector_paused
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

    `location` is the file's resolved path (None for text that is no file); `unchanged`
    says the file is what the store holds for that location (same stat or same bytes),
    so it was not parsed; `stat` is the file's stat to record, None when racy or unknown.
    """

    file: str
    content_hash: str | None
    document: Document | None
    problems: tuple[Problem, ...]
    location: str | None = None
    unchanged: bool = False
    stat: list[int] | None = None


class LoadUsageError(Exception):
    """A path given to load does not exist or holds no markdown."""


def markdown_file_names(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Every `.md` file named or found (recursively) under the given paths, in a stable order.

    What `sorted(p for p in path.rglob("*.md") if p.is_file())` finds, in its order, as the
    strings `str(path)` gives, from one `os.scandir` per directory (a load of 100k files
    makes no Path objects): symlinked directories are not descended into, symlinked files
    count, unreadable directories are skipped.
    """
    found: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            _scan_markdown(str(path), found)
        elif path.is_file():
            found.append(str(path))
        else:
            raise LoadUsageError(f"{path}: no such file or directory")
    return found


def _scan_markdown(directory: str, found: list[str]) -> None:
    """Depth first, each directory's entries by name: the order of sorting the files by their path's parts."""
    try:
        with os.scandir(directory) as entries:
            listed = sorted(entries, key=lambda entry: entry.name)
    except PermissionError:
        return
    for entry in listed:
        if entry.name.endswith(".md") and entry.is_file():
            found.append(entry.path)
        try:
            descend = entry.is_dir() and not entry.is_symlink()
        except OSError:
            descend = False
        if descend:
            _scan_markdown(entry.path, found)


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class _Locator:
    """Files' resolved paths (`str(Path(file).resolve())`) and stats, each directory resolved once per load."""

    def __init__(self) -> None:
        self.directories: dict[str, str] = {}

    def locate(self, file: str) -> tuple[str, os.stat_result]:
        status = os.lstat(file)
        if stat_module.S_ISLNK(status.st_mode):
            return os.path.realpath(file), os.stat(file)
        directory, name = os.path.split(file)
        return os.path.join(self.directory(directory), name), status

    def directory(self, directory: str) -> str:
        """`os.path.realpath(directory)`, from its parent's when that is known (one lstat instead of one per part)."""
        real = self.directories.get(directory)
        if real is None:
            parent, name = os.path.split(directory)
            if (not parent or not name or name in (".", "..") or parent == directory
                    or stat_module.S_ISLNK(os.lstat(directory).st_mode)):
                real = os.path.realpath(directory)
            else:
                real = os.path.join(self.directory(parent), name)
            self.directories[directory] = real
        return real


def _stat_of(status: os.stat_result) -> list[int]:
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


def _read_and_parse(
    file: str, options: LoadOptions, known_at: Callable[[str], Entry | None], locator: _Locator
) -> _FileOutcome:
    """Resolve, stat, and read and parse one file unless the store already holds it (see STAT_KEY)."""
    try:
        location, status = locator.locate(file)
        size = status.st_size
        if size > options.max_file_bytes:
            return _rejected(file, None, 1, f"file is {size:,} bytes, over the limit of {options.max_file_bytes:,}",
                             location)
        known = known_at(location)
        stat: list[int] | None = _stat_of(status)
        if known is not None and stat is not None and known.stat == stat:
            return _FileOutcome(file, known.content_hash, None, (), location, unchanged=True, stat=stat)
        with open(file, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        return _rejected(file, None, 1, f"cannot read: {error.strerror or error}")
    if stat is not None and max(stat[1], stat[2]) > time.time_ns() - RACY_NS:
        stat = None  # changed just now: it could change again within the same timestamp tick
    digest = content_hash(raw)
    if known is not None and known.content_hash == digest:
        return _FileOutcome(file, digest, None, (), location, unchanged=True, stat=stat)
    outcome = parse_bytes(raw, file, options, digest, location=location)
    if outcome.document is not None and stat is not None:
        outcome.document[STAT_KEY] = stat
    return outcome


def _resolved(file: str) -> str:
    """`str(Path(file).resolve())`."""
    return os.path.realpath(file)


def parse_bytes(
    raw: bytes, file: str, options: LoadOptions, digest: str | None = None, on_disk: bool = True,
    location: str | None = None,
) -> _FileOutcome:
    """Decode (strict UTF-8) and parse; binary or undecodable input is rejected at its line.

    `on_disk` records the file's location with the document (for incremental loads and
    `--prune`); text that never was a file (a script's string, a mutation) records none.
    `location` is the file's resolved path when the caller has it already.
    """
    if b"\0" in raw:
        return _rejected(file, digest, raw[: raw.index(b"\0")].count(b"\n") + 1, "binary data (NUL byte), not a markdown file",
                         location)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return _rejected(file, digest, line, f"invalid UTF-8 at byte {error.start}", location)
    result = parse_event(text, file, options.limits)
    problems = result.problems
    if options.strict and result.event is not None and problems:
        problems = tuple(Problem(p.file, p.line, p.message + " (--strict)", Severity.ERROR) for p in problems)
        return _FileOutcome(file, digest, None, problems, location)
    if result.event is None:
        return _FileOutcome(file, digest, None, problems, location)
    if on_disk and not file.startswith("<"):
        location = location or _resolved(file)
    else:
        location = None
    return _FileOutcome(file, digest, event_to_document(result.event, location, digest), problems, location)


def _rejected(file: str, digest: str | None, line: int, message: str, location: str | None = None) -> _FileOutcome:
    return _FileOutcome(file, digest, None, (Problem(file, line, message, Severity.ERROR),), location)


# A pool worker's load: set by `_start_worker` (with fork, inherited as it is).
_WORKER: tuple[LoadOptions, dict[str, Entry], _Locator] | None = None


def _start_worker(parent: int | None, options: LoadOptions, known: dict[str, Entry]) -> None:
    global _WORKER
    _WORKER = (options, known, _Locator())
    _exit_with_parent(parent)


def _worker_job(file: str) -> _FileOutcome:
    options, known, locator = _WORKER
    return _read_and_parse(file, options, known.get, locator)


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


def _outcomes(
    files: list[str], options: LoadOptions, known: dict[str, Entry], progress: Callable[[int], None]
) -> Iterator[_FileOutcome]:
    """Every file's outcome, in order; files whose stat is what the store recorded are not even read."""
    locator = _Locator()
    prescanned: list[_FileOutcome | None] = [None] * len(files)
    if known:
        for position, file in enumerate(files):
            prescanned[position] = _unchanged_by_stat(file, options, known, locator)
    pending = [file for file, outcome in zip(files, prescanned) if outcome is None]
    parsed = _read_and_parse_all(pending, options, known, locator)
    for outcome in prescanned:
        yield outcome if outcome is not None else next(parsed)
        progress(1)


def _unchanged_by_stat(
    file: str, options: LoadOptions, known: dict[str, Entry], locator: _Locator
) -> _FileOutcome | None:
    """The outcome of a file whose stat is the recorded one (unchanged, not read); None for any other."""
    try:
        location, status = locator.locate(file)
    except OSError:
        return None  # reported by the full path
    entry = known.get(location)
    if entry is None or entry.stat is None or status.st_size > options.max_file_bytes:
        return None
    stat = _stat_of(status)
    return _FileOutcome(file, entry.content_hash, None, (), location, unchanged=True, stat=stat) if entry.stat == stat else None


def _read_and_parse_all(
    files: list[str], options: LoadOptions, known: dict[str, Entry], locator: _Locator
) -> Iterator[_FileOutcome]:
    """Read and parse in order: in this process for small batches, else in a pool of workers.

    The workers resolve, stat, read, hash and parse; this process only gathers. They are
    forked (no imports, no pickled state) when this process runs a single thread (the
    CLI); a server's loads run beside other threads, where forking could copy a lock
    held mid-operation, so they use a fork server instead.
    """
    workers = options.workers or os.cpu_count() or 1
    context = _pool_context()
    forked = context.get_start_method() == "fork"
    if len(files) < (FORK_PARALLEL_THRESHOLD if forked else PARALLEL_THRESHOLD) or workers < 2:
        for file in files:
            yield _read_and_parse(file, options, known.get, locator)
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
    files = markdown_file_names(roots)
    stored = store.entries()
    stored_by_file = {entry.file: entry for entry in stored if entry.file}
    known = {file: entry for file, entry in stored_by_file.items() if entry.content_hash}
    report = LoadReport()
    batch = _Batch()
    seen_files: set[str] = set()
    with progress(len(files)) if progress else contextlib.nullcontext(lambda done: None) as advance:
        for outcome in _outcomes(files, options, known, advance):
            location = outcome.location or _resolved(outcome.file)
            seen_files.add(location)
            unchanged = stored_by_file.get(location) if outcome.unchanged else None
            restat = None
            if unchanged is not None and outcome.stat is not None and unchanged.stat != outcome.stat:
                restat = unchanged._replace(stat=outcome.stat)  # same bytes, new stat: record it for next time
            batch.add(outcome, report, unchanged_path=unchanged.path if unchanged else None, restat=restat)
    restated = store.documents_at(batch.restats.values())
    for path, entry in batch.restats.items():
        if path in restated:
            batch.documents[path] = {**restated[path], STAT_KEY: entry.stat}
    removals = _pruned(stored, roots, seen_files) if options.prune else set()
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
            outcome = _rejected(name, None, 1, f"document is {len(raw):,} bytes, over the limit of {options.max_file_bytes:,}")
        else:
            outcome = parse_bytes(raw, name, options, content_hash(raw), on_disk=False)
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

    def add(
        self, outcome: _FileOutcome, report: LoadReport, unchanged_path: str | None = None,
        restat: Entry | None = None,
    ) -> str | None:
        """Count the outcome; the canonical path it holds in this batch, None when rejected.

        `restat` is the stored entry of an unchanged file with its new stat: its document is
        written again with that stat (the store counts it unchanged: the stat is bookkeeping).
        """
        report.problems.extend(outcome.problems)
        document = outcome.document
        if unchanged_path is not None:
            if restat is not None and unchanged_path not in self.claimed:
                self.restats[unchanged_path] = restat
            else:
                report.unchanged += 1  # bytes identical to what is stored: not parsed again
            self.claimed.setdefault(unchanged_path, outcome.file)
            return unchanged_path
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
