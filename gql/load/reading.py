"""One file read, hashed and parsed into a store document: what each pool worker (or the loading process) does."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from newsgraph.load.finder import Found, shown_name
from newsgraph.load.listings import RACY_NS, is_utf8
from newsgraph.load.report import LoadOptions
from newsgraph.parse import Problem, Severity, parse_event
from newsgraph.store import STAT_KEY, Document, Entry, event_to_document

# The stat fast path (like git's index): a document read from a file records the file's
# [size, mtime_ns, ctime_ns, inode] under STAT_KEY; a later load that finds all four the
# same skips the file without reading it. Trade-off: a rewrite that keeps size, mtime,
# ctime and inode is missed. ctime cannot be set from user space and changes on every
# write, so that takes a file changed within one timestamp tick of the stat that was
# recorded; such "racy" stats are not recorded at all: a file changed less than
# RACY_NS before it was read is read and hashed again next time (and its stat
# recorded then, when it has settled; newsgraph.load.listings applies the same rule to directories).
# Where stats differ, the content hash still decides whether the file is parsed again.


@dataclass(slots=True)
class FileOutcome:
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


def read_and_parse(found: Found, options: LoadOptions, known_at: Callable[[str], Entry | None]) -> FileOutcome:
    """Read and parse one found file unless the store already holds its bytes (see STAT_KEY).

    Its problems name it as a report line can show it (`shown_name`). At most the size
    limit and one byte more is read, whatever its stat said: a file may grow after it,
    and a /proc file (say, behind a symlink) says 0.
    """
    file, location, stat, limit = found.name, found.location, found.stat, options.max_file_bytes
    label = shown_name(file)
    if stat is None:
        return rejected(label, 1, f"cannot read: {found.error}")
    if not is_utf8(location):  # the store (JSON) could not record where it came from
        return rejected(label, 1, "the file's name (or its directory's) is not UTF-8: rename it to load it")
    if stat[0] > limit:
        return rejected(label, 1, f"file is {stat[0]:,} bytes, over the limit of {limit:,}")
    try:
        with open(file, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as error:
        return rejected(label, 1, f"cannot read: {error.strerror or error}")
    if len(raw) > limit:
        return rejected(label, 1, f"file is over the limit of {limit:,} bytes, though its size said {stat[0]:,}")
    recorded: list[int] | None = stat
    if max(stat[1], stat[2]) > time.time_ns() - RACY_NS:
        recorded = None  # changed just now: it could change again within the same timestamp tick
    digest = content_hash(raw)
    known = known_at(location)
    if known is not None and known.content_hash == digest:
        return FileOutcome(file, None, (), unchanged=True, stat=recorded)
    outcome = parse_bytes(raw, file, options, digest, location)
    if label != file:  # the parser checks the name as it is; the report shows it quoted
        outcome.file, outcome.problems = label, tuple(replace(problem, file=label) for problem in outcome.problems)
    if outcome.document is not None and recorded is not None:
        outcome.document[STAT_KEY] = recorded
    return outcome


def parse_bytes(raw: bytes, file: str, options: LoadOptions, digest: str, location: str | None) -> FileOutcome:
    """Decode (strict UTF-8) and parse; binary or undecodable input is rejected at its line.

    `location`, the file's resolved path, is recorded with the document (for incremental
    loads and `--prune`); text that never was a file (a script's string, a mutation) has none.
    """
    if b"\0" in raw:
        return rejected(file, raw[: raw.index(b"\0")].count(b"\n") + 1, "binary data (NUL byte), not a markdown file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return rejected(file, line, f"invalid UTF-8 at byte {error.start}")
    result = parse_event(text, file, options.limits)
    problems = result.problems
    if options.strict and result.event is not None and problems:
        problems = tuple(Problem(p.file, p.line, p.message + " (--strict)", Severity.ERROR) for p in problems)
        return FileOutcome(file, None, problems)
    if result.event is None:
        return FileOutcome(file, None, problems)
    return FileOutcome(file, event_to_document(result.event, location, digest), problems)


def rejected(file: str, line: int, message: str) -> FileOutcome:
    return FileOutcome(file, None, (Problem(file, line, message, Severity.ERROR),))
