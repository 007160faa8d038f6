"""The markdown files of a load, each with its resolved location and its stat, from one pass over the directories.

A reload of a large archive mostly confirms that nothing changed, by comparing each
file's stat with the one recorded (gql.loader): finding, resolving and stat-ing the
files is then most of its work. A directory's real path is known while it is scanned
(symlinked directories are not descended into), so a file's location is its real
directory joined with its name, and its stat is the one `scandir` entry call.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple


class LoadUsageError(Exception):
    """A path given to load does not exist or holds no markdown."""


class Found(NamedTuple):
    """One markdown file: its name as found, where it resolves to, and its stat (None, with `error`, when unreadable).

    `name` is `str(path)` of the path given or found below a given directory; `location`
    is `str(Path(name).resolve())`; `stat` is [size, mtime_ns, ctime_ns, inode] of the file
    (symlinks followed), taken before the file is read, so a later change changes it.
    """

    name: str
    location: str
    stat: list[int] | None
    error: str | None = None


def _stat_of(status: os.stat_result) -> list[int]:
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


def find_markdown(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Found]:
    """Every `.md` file named or found (recursively) under the given paths, in a stable order, as it is found.

    What `sorted(p for p in path.rglob("*.md") if p.is_file())` finds, in its order:
    symlinked directories are not descended into, symlinked files count, unreadable
    directories (and directories removed while the scan goes on) are skipped. A path
    that does not exist is a LoadUsageError, raised by this call, before any file is
    found. Files come one by one so that a load can read and parse changed files
    while the scan goes on.
    """
    given = [Path(path) for path in paths]
    for path in given:
        if not (path.is_dir() or path.is_file()):
            raise LoadUsageError(f"{path}: no such file or directory")
    return _found_under(given)


def _found_under(paths: list[Path]) -> Iterator[Found]:
    for path in paths:
        if path.is_dir():
            yield from _scan(str(path), os.path.realpath(path))
        else:
            yield _found(str(path), os.path.realpath(path), lambda: os.stat(path))


def _scan(directory: str, real_directory: str) -> Iterator[Found]:
    """Depth first, each directory's entries by name: the order of sorting the files by their path's parts."""
    try:
        with os.scandir(directory) as entries:
            listed = sorted(entries, key=attrgetter("name"))
    except (PermissionError, FileNotFoundError, NotADirectoryError):  # unreadable, or gone since it was listed
        return
    real_prefix = real_directory.rstrip(os.sep) + os.sep  # joined by hand: os.path.join is a third of a file's cost
    for entry in listed:
        if entry.name.endswith(".md") and entry.is_file():
            location = os.path.realpath(entry.path) if entry.is_symlink() else real_prefix + entry.name
            yield _found(entry.path, location, entry.stat)
        try:
            descend = entry.is_dir() and not entry.is_symlink()
        except OSError:
            descend = False
        if descend:
            yield from _scan(entry.path, real_prefix + entry.name)


def _found(name: str, location: str, stat: Callable[[], os.stat_result]) -> Found:
    """`stat` is a scandir entry's (one syscall, symlinks followed) or `os.stat` of a path given."""
    try:
        return Found(name, location, _stat_of(stat()))
    except OSError as error:
        return Found(name, location, None, error.strerror or str(error))
