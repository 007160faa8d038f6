"""`newsgraph doctor`: what is wrong with an archive of markdown files, file by file, and `--fix` for its links.

The checks are newsgraph.archive.doctor's (pure); this module reads the files, prints the findings
(grouped by file, or as JSON) and, with `--fix`, rewrites the related links that resolve only by the
same-day slug rule to the canonical paths they resolve to: each file atomically (a temporary file in
its directory, renamed over it), with every other byte kept.
"""

from __future__ import annotations

import difflib
import multiprocessing
import os
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson

from newsgraph.collector import collector_paused
from newsgraph.settings import spec

if TYPE_CHECKING:
    from newsgraph.archive import Finding, Health, Subject

DATA = spec("data")
PARALLEL_FILES = 2_000  # below this, starting worker processes costs more than it saves
CHUNK = 256  # files per worker task


@dataclass(frozen=True)
class Change:
    """One related link `--fix` rewrote (or, with `--dry-run`, would rewrite)."""

    file: str
    line: int
    old: str
    new: str


@click.command()
@click.argument("directory", required=False, default=DATA.default, envvar=DATA.env,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document: the findings and their counts by kind.")
@click.option("--strict", is_flag=True, help="Exit 1 when anything is found (after --fix: anything left).")
@click.option("--fix", is_flag=True, help="Rewrite related links that resolve only by the same-day slug rule "
                                          "to their canonical paths (nothing else is changed).")
@click.option("--dry-run", is_flag=True, help="With --fix: show the unified diff of each file and change nothing.")
def doctor(directory: Path, as_json: bool, strict: bool, fix: bool, dry_run: bool) -> None:
    """Say what is wrong with an archive of markdown files, file by file.

    DIRECTORY defaults to the `data` setting (NEWSGRAPH_DATA, else data/news). Finds related links
    that resolve to nothing (with the nearest event) or only by the same-day slug rule (with the
    canonical path), files not at their canonical path, duplicate and near-duplicate headlines,
    invalid or repeated source URLs, tags spelled several ways, events no link reaches or leaves,
    and files the loader rejects. Exit 0 (findings included, unless --strict), 1 with --strict when
    anything is found (or when --fix could not rewrite a file), 2 for a usage error.
    """
    from newsgraph.archive import KINDS, Archive, Health, diagnose

    if dry_run and not fix:
        raise click.UsageError("--dry-run goes with --fix")
    with collector_paused():  # nothing here is cyclic; the collector would walk every outline again and again
        subjects, paths = read_archive(directory)
        archive = Archive([subject.event for subject in subjects if subject.event is not None])
        health = Health.of(diagnose(subjects, archive))
    changes, diffs, failures = fix_links(health.findings, paths, dry_run) if fix else ([], [], [])
    fixed = {(change.file, change.line) for change in changes} if fix and not dry_run else set()
    left = [f for f in health.findings if not (f.kind == "fuzzy-link" and (f.file, f.line) in fixed)]
    if as_json:
        document: dict[str, object] = {
            "directory": str(directory), "files": len(subjects), "totalCount": len(health.findings),
            "countsByKind": health.counts, "findings": [finding.as_dict() for finding in health.findings],
        }
        if fix:
            document["fixed" if not dry_run else "wouldFix"] = [change.__dict__ for change in changes]
            document["fixFailures"] = failures
            if dry_run:
                document["diff"] = "".join(diffs)
        click.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
    else:
        _print_findings(health, len(subjects), KINDS)
        for piece in diffs:
            click.echo(piece, nl=False)
        for failure in failures:
            click.echo(f"error: {failure}", err=True)
        if fix:
            verb = "would rewrite" if dry_run else "rewrote"
            click.echo(f"fix: {verb} {len(changes)} related link(s) in {len({c.file for c in changes})} file(s)"
                       + (" (dry run: nothing changed)" if dry_run else ""))
    sys.exit(1 if (strict and left) or failures else 0)


def read_archive(directory: Path) -> tuple[list[Subject], dict[str, Path]]:
    """Every markdown file under `directory` (as `newsgraph load` finds them), read and outlined, in path order;
    and each file's path by the name findings give it (`shown_name`: quoted when not printable).

    Past PARALLEL_FILES files, worker processes (one per core) read and parse them, CHUNK files a task.
    """
    from newsgraph.load import shown_name

    paths = sorted(found for found in directory.rglob("*.md") if found.is_file())
    chunks = [paths[start:start + CHUNK] for start in range(0, len(paths), CHUNK)]
    workers = os.cpu_count() or 1
    if len(paths) < PARALLEL_FILES or workers < 2:
        subjects = [subject for chunk in chunks for subject in _read_files(chunk)]
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            subjects = [subject for done in pool.map(_read_files, chunks) for subject in done]
    return subjects, {shown_name(str(path)): path for path in paths}


def _read_files(paths: list[Path]) -> list[Subject]:
    """Each file read and outlined (what a pool task does): a Subject, or a rejected one when unreadable."""
    from newsgraph.archive import Subject
    from newsgraph.load import DEFAULT_MAX_FILE_BYTES, shown_name
    from newsgraph.parse import Problem, Severity, outline_event

    subjects = []
    for path in paths:
        name = shown_name(str(path))
        location = os.path.join(os.path.realpath(path.parent), path.name)
        raw = b""
        try:
            raw = path.read_bytes()
        except OSError as error:
            problem: str | None = f"cannot read: {error.strerror or error}"
        else:
            problem = _unreadable(raw, DEFAULT_MAX_FILE_BYTES)
        if problem is not None:
            line = raw[: raw.index(b"\0")].count(b"\n") + 1 if problem.startswith("binary") else 1
            subjects.append(Subject(None, name, location, problems=(Problem(name, line, problem, Severity.ERROR),)))
            continue
        outline = outline_event(raw.decode("utf-8"), str(path))
        subjects.append(Subject(outline.result.event, name, location, outline, outline.result.problems))
    return subjects


def _unreadable(raw: bytes, limit: int) -> str | None:
    """Why the loader would not parse these bytes at all (newsgraph.load's reading), or None."""
    if len(raw) > limit:
        return f"file is {len(raw):,} bytes, over the limit of {limit:,}"
    if b"\0" in raw:
        return "binary data (NUL byte), not a markdown file"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"invalid UTF-8 at byte {error.start}"
    return None


def _print_findings(health: Health, files: int, kinds: dict[str, str]) -> None:
    current: str | None = None
    for finding in health.findings:
        where = finding.file or finding.path or ""
        if where != current:
            current = where
            click.echo(where)
        line = f"{finding.line}: " if finding.line else ""
        click.echo(f"  {line}{finding.kind}: {finding.message}")
        if finding.fix and finding.kind != "unresolved-link":
            click.echo(f"      fix: {finding.fix}")
    counts = ", ".join(f"{kind} {count}" for kind, count in health.counts.items())
    with_findings = len({f.file or f.path for f in health.findings})
    if health.findings:
        click.echo(f"{len(health.findings)} findings in {with_findings} of {files} files: {counts}")
    else:
        click.echo(f"no findings in {files} files")


def fix_links(findings: tuple[Finding, ...], paths: dict[str, Path],
              dry_run: bool) -> tuple[list[Change], list[str], list[str]]:
    """Rewrite each file's fuzzily resolved links to their canonical paths (or, dry, diff what would change).

    Each file is read again, rewritten in memory (only the links' destinations change), parsed
    again to check that it reads as the same event with those links' paths replaced, then
    written atomically. Returns the changes, the unified diffs (dry run) and what could not be done.
    """
    from newsgraph.parse import parse_event, rewrite_related_links
    from newsgraph.store import replace_file

    targets: dict[str, dict[str, str]] = defaultdict(dict)
    for finding in findings:
        if finding.kind == "fuzzy-link" and finding.file and finding.subject and finding.fix:
            targets[finding.file][finding.subject] = finding.fix
    changes: list[Change] = []
    diffs: list[str] = []
    failures: list[str] = []
    for file, wanted in sorted(targets.items()):
        path = paths[file]
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            failures.append(f"{file}: cannot read it again: {error}")
            continue
        new_text, changed = rewrite_related_links(text, wanted, str(path))
        if not changed:
            continue
        before, after = parse_event(text, str(path)).event, parse_event(new_text, str(path)).event
        if before is None or after != replace(before, related=tuple(
                item._replace(path=wanted.get(item.path, item.path)) for item in before.related)):
            failures.append(f"{file}: the rewritten file would not read as the same event; left as it is")
            continue
        changes += [Change(file, line, old, new) for line, old, new in changed]
        if dry_run:
            diffs.append("".join(difflib.unified_diff(text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                                      f"a/{file}", f"b/{file}")))
            continue
        try:
            replace_file(path, new_text.encode("utf-8"))
        except OSError as error:
            failures.append(f"{file}: cannot write it: {error.strerror or error}")
    return changes, diffs, failures
