"""The markdown files of a load, each with its resolved location and its stat, from one pass over the directories.

A reload of a large archive mostly confirms that nothing changed, by comparing each
file's stat with the one recorded (newsgraph.loader): finding, resolving and stat-ing the
files is then most of its work. A directory's real path is known while it is scanned
(symlinked directories are not descended into), so a file's location is its real
directory joined with its name, and its stat is one call. A directory whose stat is
the one recorded at an earlier scan is not listed again (newsgraph.listings).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from operator import attrgetter
from pathlib import Path
from stat import S_ISREG
from typing import NamedTuple

from newsgraph.listings import MARKDOWN_FILE, MARKDOWN_LINK, SUBDIRECTORY, Listings, directory_identity
from newsgraph.store.documents import file_stat


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


def find_markdown(paths: Iterable[str | os.PathLike[str]], listings: Listings | None = None) -> Iterator[Found]:
    """Every `.md` file named or found (recursively) under the given paths, in a stable order, as it is found.

    What `sorted(p for p in path.rglob("*.md") if p.is_file())` finds, in its order:
    symlinked directories are not descended into, symlinked files count, unreadable
    directories (and directories removed while the scan goes on) are skipped. A path
    that does not exist is a LoadUsageError, raised by this call, before any file is
    found. Files come one by one so that a load can read and parse changed files
    while the scan goes on. `listings` (newsgraph.listings) spares listing the directories
    whose stat is the recorded one, and records the others.
    """
    given = [Path(path) for path in paths]
    for path in given:
        if not (path.is_dir() or path.is_file()):
            raise LoadUsageError(f"{path}: no such file or directory")
    return _found_under(given, listings if listings is not None else Listings())


def _found_under(paths: list[Path], listings: Listings) -> Iterator[Found]:
    for path in paths:
        if path.is_dir():
            yield from _scan(str(path), os.path.realpath(path), listings)
        else:
            try:
                yield Found(str(path), os.path.realpath(path), file_stat(os.stat(path)))
            except OSError as error:
                yield Found(str(path), os.path.realpath(path), None, error.strerror or str(error))


def _scan(directory: str, real_directory: str, listings: Listings) -> Iterator[Found]:
    """Depth first, each directory's entries by name: the order of sorting the files by their path's parts."""
    prefix = directory if directory.endswith(os.sep) else directory + os.sep  # os.path.join: a third of a file's cost
    real_prefix = real_directory.rstrip(os.sep) + os.sep
    entries = _entries(prefix, real_directory, real_prefix, listings)
    for name, found in entries or ():
        if found is None:
            yield from _scan(prefix + name, real_prefix + name, listings)
        else:
            yield found


def _entries(prefix: str, real_directory: str, real_prefix: str,
             listings: Listings) -> list[tuple[str, Found | None]] | None:
    """The directory's markdown files (found) and subdirectories (None), by name; None when it cannot be read.

    Its recorded listing when the directory's stat is the recorded one and every file in
    it is still a file; else a new listing, recorded for the next scan.
    """
    try:
        identity = directory_identity(os.stat(prefix))
    except (PermissionError, FileNotFoundError, NotADirectoryError):  # unreadable, or gone since it was listed
        return None
    recorded = listings.recorded_entries(real_directory, identity)
    if recorded is not None:
        entries = _followed(prefix, real_prefix, recorded, trusted=True)
        if entries is not None:
            listings.keep(real_directory)
            return entries
    try:
        with os.scandir(prefix) as scanned:
            listed = [_kind_and_name(entry) for entry in sorted(scanned, key=attrgetter("name"))]
    except (PermissionError, FileNotFoundError, NotADirectoryError):
        return None
    kept = [kind + name for kind, name in listed if kind]
    listings.record(real_directory, identity, kept)
    return _followed(prefix, real_prefix, kept, trusted=False)


def _kind_and_name(entry: os.DirEntry[str]) -> tuple[str, str]:
    """The entry's kind letter (newsgraph.listings; "" when the scan ignores it) and name, from the listing alone."""
    try:
        if entry.is_dir(follow_symlinks=False):
            return SUBDIRECTORY, entry.name
        if entry.name.endswith(".md"):
            if entry.is_symlink():
                return MARKDOWN_LINK, entry.name
            if entry.is_file(follow_symlinks=False):
                return MARKDOWN_FILE, entry.name
    except OSError:  # gone since it was listed
        pass
    return "", entry.name


def _followed(prefix: str, real_prefix: str, entries: list[str],
              trusted: bool) -> list[tuple[str, Found | None]] | None:
    """Each markdown entry stat-ed (symlinks followed) into a Found, each subdirectory kept by name (None).

    `trusted`: the entries are a recorded listing, which is stale after all (or damaged)
    when one of its files is no longer a file or an entry is not one the scan makes: None
    then, and the directory is listed again. A symlink that leads nowhere, or not to a
    file, is not a markdown file (as `Path.is_file` says).
    """
    followed: list[tuple[str, Found | None]] = []
    for entry in entries:
        kind, name = entry[:1], entry[1:]
        if kind == SUBDIRECTORY and name not in ("", ".", ".."):
            followed.append((name, None))
            continue
        if kind not in (MARKDOWN_FILE, MARKDOWN_LINK) or not name.endswith(".md"):
            return None  # only a damaged recorded listing holds such an entry
        path = prefix + name
        try:
            status = os.stat(path)
        except OSError as error:
            if kind == MARKDOWN_LINK:
                continue
            if trusted:
                return None
            followed.append((name, Found(path, real_prefix + name, None, error.strerror or str(error))))
            continue
        if not S_ISREG(status.st_mode):
            if kind == MARKDOWN_FILE and trusted:
                return None
            continue
        location = os.path.realpath(path) if kind == MARKDOWN_LINK else real_prefix + name
        followed.append((name, Found(path, location, file_stat(status))))
    return followed
