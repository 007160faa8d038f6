"""The markdown files of a load, each with its resolved location and its stat, from one pass over the directories.

A reload of a large archive mostly confirms that nothing changed, by comparing each
file's stat with the one recorded (gql.loader): finding, resolving and stat-ing the
files is then most of its work. A directory's real path is known while it is scanned
(symlinked directories are not descended into), so a file's location is its real
directory joined with its name, and its stat is the one `scandir` entry call.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
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


def find_markdown(paths: Iterable[str | os.PathLike[str]]) -> list[Found]:
    """Every `.md` file named or found (recursively) under the given paths, in a stable order.

    What `sorted(p for p in path.rglob("*.md") if p.is_file())` finds, in its order:
    symlinked directories are not descended into, symlinked files count, unreadable
    directories are skipped. A path that does not exist is a LoadUsageError.
    """
    found: list[Found] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            _scan(str(path), os.path.realpath(path), found)
        elif path.is_file():
            found.append(_found(str(path), os.path.realpath(path), lambda: os.stat(path)))
        else:
            raise LoadUsageError(f"{path}: no such file or directory")
    return found


def _scan(directory: str, real_directory: str, found: list[Found]) -> None:
    """Depth first, each directory's entries by name: the order of sorting the files by their path's parts."""
    try:
        with os.scandir(directory) as entries:
            listed = sorted(entries, key=lambda entry: entry.name)
    except PermissionError:
        return
    real_prefix = real_directory.rstrip(os.sep) + os.sep  # joined by hand: os.path.join is a third of a file's cost
    for entry in listed:
        if entry.name.endswith(".md") and entry.is_file():
            location = os.path.realpath(entry.path) if entry.is_symlink() else real_prefix + entry.name
            found.append(_found(entry.path, location, entry.stat))
        try:
            descend = entry.is_dir() and not entry.is_symlink()
        except OSError:
            descend = False
        if descend:
            _scan(entry.path, real_prefix + entry.name, found)


def _found(name: str, location: str, stat: Callable[[], os.stat_result]) -> Found:
    """`stat` is a scandir entry's (one syscall, symlinks followed) or `os.stat` of a path given."""
    try:
        return Found(name, location, _stat_of(stat()))
    except OSError as error:
        return Found(name, location, None, error.strerror or str(error))
