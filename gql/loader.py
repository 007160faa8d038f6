"""Files on disk → parsed events → one store write: what `newsgraph load` and scripts run.

Reading and parsing are spread over processes for large batches (parsing dominates
a load); the store is written once at the end, so a failed or killed load leaves
the previous store untouched.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from gql.parse import ParseLimits, Problem, Severity, parse_event
from gql.store import Document, EventStore, event_to_document

PARALLEL_THRESHOLD = 2_000  # below this, starting worker processes costs more than it saves
DEFAULT_MAX_FILE_BYTES = 1_000_000


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


@dataclass(frozen=True)
class _FileOutcome:
    """One file read and parsed: its document when accepted, its problems either way."""

    file: str
    content_hash: str | None
    document: Document | None
    problems: tuple[Problem, ...]


class LoadUsageError(Exception):
    """A path given to load does not exist or holds no markdown."""


def markdown_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Every `.md` file named or found (recursively) under the given paths, in a stable order."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.md") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise LoadUsageError(f"{path}: no such file or directory")
    return found


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def read_and_parse(file: str, options: LoadOptions, known_hash: str | None = None) -> _FileOutcome:
    """Read one file and parse it; `known_hash` skips parsing when the bytes have not changed."""
    try:
        size = os.path.getsize(file)
        if size > options.max_file_bytes:
            return _rejected(file, None, 1, f"file is {size:,} bytes, over the limit of {options.max_file_bytes:,}")
        with open(file, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        return _rejected(file, None, 1, f"cannot read: {error.strerror or error}")
    digest = content_hash(raw)
    if known_hash == digest:
        return _FileOutcome(file, digest, None, ())
    return parse_bytes(raw, file, options, digest)


def parse_bytes(
    raw: bytes, file: str, options: LoadOptions, digest: str | None = None, on_disk: bool = True
) -> _FileOutcome:
    """Decode (strict UTF-8) and parse; binary or undecodable input is rejected at its line.

    `on_disk` records the file's location with the document (for incremental loads and
    `--prune`); text that never was a file (a script's string, a mutation) records none.
    """
    if b"\0" in raw:
        return _rejected(file, digest, raw[: raw.index(b"\0")].count(b"\n") + 1, "binary data (NUL byte), not a markdown file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return _rejected(file, digest, line, f"invalid UTF-8 at byte {error.start}")
    result = parse_event(text, file, options.limits)
    problems = result.problems
    if options.strict and result.event is not None and problems:
        problems = tuple(Problem(p.file, p.line, p.message + " (--strict)", Severity.ERROR) for p in problems)
        return _FileOutcome(file, digest, None, problems)
    if result.event is None:
        return _FileOutcome(file, digest, None, problems)
    location = str(Path(file).resolve()) if on_disk and not file.startswith("<") else None
    return _FileOutcome(file, digest, event_to_document(result.event, location, digest), problems)


def _rejected(file: str, digest: str | None, line: int, message: str) -> _FileOutcome:
    return _FileOutcome(file, digest, None, (Problem(file, line, message, Severity.ERROR),))


def _read_and_parse_job(job: tuple[str, LoadOptions, str | None]) -> _FileOutcome:
    return read_and_parse(*job)


def _exit_with_parent(parent: int) -> None:
    """Pool worker initializer: exit when the loading process is gone (say, SIGKILLed).

    Forked workers hold their own job queue open, so they would otherwise wait for
    work forever as orphans.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _outcomes(
    files: list[str], options: LoadOptions, known: dict[str, str], progress: Callable[[int], None]
) -> Iterator[_FileOutcome]:
    jobs = [(file, options, known.get(str(Path(file).resolve()))) for file in files]
    workers = options.workers or os.cpu_count() or 1
    if len(jobs) < PARALLEL_THRESHOLD or workers < 2:
        for job in jobs:
            yield _read_and_parse_job(job)
            progress(1)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
        for outcome in pool.map(_read_and_parse_job, jobs, chunksize=256):
            yield outcome
            progress(1)


def load_files(
    store: EventStore,
    paths: Iterable[str | os.PathLike[str]],
    options: LoadOptions = LoadOptions(),
    progress: Callable[[int], None] = lambda done: None,
) -> LoadReport:
    """Load markdown files and directories into the store in one write; see `LoadReport`.

    The store's writer lock is held from reading the store to writing it, so two
    loads never interleave: the second waits (or fails with StoreError past the
    lock timeout) and then decides against what the first one wrote.
    """
    with store.writing():
        return _load_files_locked(store, paths, options, progress)


def _load_files_locked(
    store: EventStore, paths: Iterable[str | os.PathLike[str]], options: LoadOptions, progress: Callable[[int], None]
) -> LoadReport:
    roots = [Path(p) for p in paths]
    files = [str(p) for p in markdown_files(roots)]
    stored = store.documents()
    stored_by_file = {d["file"]: d for d in stored if d.get("file")}
    known_hashes = {file: d["content_hash"] for file, d in stored_by_file.items() if d.get("content_hash")}
    report = LoadReport()
    batch = _Batch()
    seen_files: set[str] = set()
    for outcome in _outcomes(files, options, known_hashes, progress):
        location = str(Path(outcome.file).resolve())
        seen_files.add(location)
        unchanged = stored_by_file.get(location) if outcome.document is None and not outcome.problems else None
        batch.add(outcome, report, unchanged_path=unchanged["path"] if unchanged else None)
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

    def add(self, outcome: _FileOutcome, report: LoadReport, unchanged_path: str | None = None) -> str | None:
        """Count the outcome; the canonical path it holds in this batch, None when rejected."""
        report.problems.extend(outcome.problems)
        document = outcome.document
        if unchanged_path is not None:
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


def _pruned(stored: list[Document], roots: list[Path], seen_files: set[str]) -> set[str]:
    """Paths of stored events whose file lay under a loaded directory and is gone now."""
    directories = [str(root.resolve()) + os.sep for root in roots if root.is_dir()]
    return {
        d["path"]
        for d in stored
        if d.get("file")
        and d["file"] not in seen_files
        and any(d["file"].startswith(directory) for directory in directories)
        and not os.path.exists(d["file"])
    }
