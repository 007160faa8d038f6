"""The load itself: find the files, keep the unchanged, parse the rest, write the store once.

Reading and parsing are spread over processes for large batches (parsing dominates
a load), and start while the directories are still being scanned; the store is written
once at the end, so a failed or killed load leaves the previous store untouched.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from newsgraph.collector import collector_paused
from newsgraph.load.finder import Found, find_markdown, shown_name
from newsgraph.load.listings import read_listings, write_listings
from newsgraph.load.pool import Parsing
from newsgraph.load.reading import FileOutcome, content_hash, parse_bytes, rejected
from newsgraph.load.report import DocumentOutcome, LoadFailed, LoadOptions, LoadReport
from newsgraph.parse import Problem, Severity
from newsgraph.store import STAT_KEY, Document, Entry, EventStore


def load_files(
    store: EventStore,
    paths: Iterable[str | os.PathLike[str]],
    options: LoadOptions = LoadOptions(),
    progress: Callable[[int], contextlib.AbstractContextManager[Callable[[int], None]]] | None = None,
) -> LoadReport:
    """Load markdown files and directories into the store in one write; see `LoadReport`.

    `progress`, given the number of files found, makes the context of a callback that
    is told each file done (`newsgraph.cli.progress.load_progress`).

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
    progress: Callable[[int], contextlib.AbstractContextManager[Callable[[int], None]]] | None,
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
    with Parsing(options, known) as parsing:
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
        outcomes: list[FileOutcome] = []
        with progress(len(files)) if progress else contextlib.nullcontext(lambda done: None) as advance:
            advance(len(files) - len(pending))
            for outcome in parsing.outcomes():
                outcomes.append(outcome)
                advance(1)
    # Files whose bytes are the stored ones keep their events: they claim their paths before any new or changed file.
    batch.keep(kept, report)
    for found, outcome in zip(pending, outcomes, strict=True):
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
            outcome = rejected(name, 1, f"document is {len(raw):,} bytes, over the limit of {options.max_file_bytes:,}")
        else:
            outcome = parse_bytes(raw, name, options, content_hash(raw), None)
        reason = refused(outcome.document["path"]) if refused and outcome.document is not None else None
        if reason:
            outcome = FileOutcome(name, None, (*outcome.problems, Problem(name, 1, reason, Severity.ERROR)))
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

    def add(self, outcome: FileOutcome, report: LoadReport) -> str | None:
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
