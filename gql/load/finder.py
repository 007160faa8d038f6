"""The markdown files of a load, each with its resolved location and its stat, from one pass over the directories.

A reload of a large archive mostly confirms that nothing changed, by comparing each
file's stat with the one recorded (newsgraph.load): finding, resolving and stat-ing the
files is then most of its work. A directory's real path is known while it is scanned
(symlinked directories are not descended into), so a file's location is its real
directory joined with its name (a symlinked file's location is the link, so that
`--prune` sees the link go), and its stat is one call. A directory whose stat is
the one recorded at an earlier scan is not listed again (newsgraph.load.listings).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from newsgraph.load.listings import MARKDOWN_FILE, MARKDOWN_LINK, SUBDIRECTORY, Listings, directory_identity


class LoadUsageError(Exception):
    """A path given to load does not exist or holds no markdown."""


class Found(NamedTuple):
    """One markdown file: its name as found, its location, and its stat (None, with `error` or `skipped`, when unreadable).

    `name` is `str(path)` of the path given or found below a given directory; `location`
    is its real directory joined with its name; `stat` is [size, mtime_ns, ctime_ns, inode]
    of the file (symlinks followed), taken before the file is read, so a later change
    changes it. `error`: why it cannot be read (it is rejected); `skipped`: why an entry
    named *.md is no file to read after all (a dangling link, a loop, a FIFO), for a warning.
    """

    name: str
    location: str
    stat: list[int] | None
    error: str | None = None
    skipped: str | None = None


def file_stat(status: os.stat_result) -> list[int]:
    """[size, mtime_ns, ctime_ns, inode] of a markdown file: what the store records of it (newsgraph.store's STAT_KEY)."""
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


def shown_name(name: str) -> str:
    """The name as one line of a report shows it: as it is when printable, else quoted and escaped.

    A newline in a file name would otherwise forge report lines, and bytes that are not
    UTF-8 (kept by Python as lone surrogates) cannot be written to a terminal or JSON at all:
    those show as `\\xNN`, control characters as Python writes them (`\\n`).
    """
    if name.isprintable():
        return name
    return "'" + "".join(_escaped(char) for char in name) + "'"


def _escaped(char: str) -> str:
    if "\udc80" <= char <= "\udcff":  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{ord(char) - 0xdc00:02x}"
    if char in "\\'":
        return "\\" + char
    return char if char.isprintable() else repr(char)[1:-1]


def find_markdown(paths: Iterable[str | os.PathLike[str]], listings: Listings | None = None) -> Iterator[Found]:
    """Every `.md` file named or found (recursively) under the given paths, in a stable order, as it is found.

    What `sorted(p for p in path.rglob("*.md") if p.is_file())` finds, in its order:
    symlinked directories are not descended into, symlinked files count, unreadable
    directories (and directories removed while the scan goes on) are skipped; other
    entries named *.md (dangling links, loops, FIFOs) come too, `skipped`, in the same
    order, so that a load can say why it read nothing there. A path
    that does not exist is a LoadUsageError, raised by this call, before any file is
    found. Files come one by one so that a load can read and parse changed files
    while the scan goes on. `listings` (newsgraph.load.listings) spares listing the directories
    whose stat is the recorded one, and records the others.
    """
    given = [Path(path) for path in paths]
    for path in given:
        if not (path.is_dir() or path.is_file()):
            raise LoadUsageError(f"{shown_name(str(path))}: no such file or directory")
    return _found_under(given, listings if listings is not None else Listings())


def _found_under(paths: list[Path], listings: Listings) -> Iterator[Found]:
    for path in paths:
        if path.is_dir():
            yield from _scan(str(path), os.path.realpath(path), listings)
            continue
        location = os.path.join(os.path.realpath(path.parent), path.name)
        try:
            yield Found(str(path), location, file_stat(os.stat(path)))
        except OSError as error:
            yield Found(str(path), location, None, error.strerror or str(error))


def _scan(directory: str, real_directory: str, listings: Listings) -> Iterator[Found]:
    """Depth first, each directory's entries by name: the order of sorting the files by their path's parts.

    A stack of the directories being listed, not recursion: a tree of any depth is scanned
    (Python stops recursing at about 1,000 levels).
    """
    stack = [_listed(directory, real_directory, listings)]
    while stack:
        prefix, real_prefix, entries = stack[-1]
        for name, found in entries:
            if found is not None:
                yield found
            else:  # a subdirectory: its entries come before the rest of this one's
                stack.append(_listed(prefix + name, real_prefix + name, listings))
                break
        else:
            stack.pop()


def _listed(directory: str, real_directory: str,
            listings: Listings) -> tuple[str, str, Iterator[tuple[str, Found | None]]]:
    """The directory's path and real path, each ending in a separator, and its entries by name (`_entries`)."""
    prefix = directory if directory.endswith(os.sep) else directory + os.sep  # os.path.join: a third of a file's cost
    real_prefix = real_directory.rstrip(os.sep) + os.sep
    return prefix, real_prefix, iter(_entries(prefix, real_directory, real_prefix, listings) or ())


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
    """The entry's kind letter (newsgraph.load.listings; "" when the scan ignores it) and name, from the listing alone."""
    try:
        if entry.is_dir(follow_symlinks=False):
            return SUBDIRECTORY, entry.name
        if entry.name.endswith(".md"):
            return (MARKDOWN_FILE if entry.is_file(follow_symlinks=False) else MARKDOWN_LINK), entry.name
    except OSError:  # gone since it was listed
        pass
    return "", entry.name


def _followed(prefix: str, real_prefix: str, entries: list[str],
              trusted: bool) -> list[tuple[str, Found | None]] | None:
    """Each markdown entry stat-ed (symlinks followed) into a Found, each subdirectory kept by name (None).

    `trusted`: the entries are a recorded listing, which is stale after all (or damaged)
    when one of its files is no longer a file or an entry is not one the scan makes: None
    then, and the directory is listed again. A symlink that leads nowhere, or not to a
    file, or a FIFO, is not a markdown file (as `Path.is_file` says): it is found `skipped`.
    """
    followed: list[tuple[str, Found | None]] = []
    for entry in entries:
        kind, name = entry[:1], entry[1:]
        if kind == SUBDIRECTORY and name not in ("", ".", ".."):
            followed.append((name, None))
            continue
        if kind not in (MARKDOWN_FILE, MARKDOWN_LINK) or not name.endswith(".md"):
            return None  # only a damaged recorded listing holds such an entry
        path, location = prefix + name, real_prefix + name
        try:
            status = os.stat(path)
        except OSError as error:
            if kind == MARKDOWN_LINK:
                followed.append((name, Found(path, location, None, skipped=_unfollowed(error))))
                continue
            if trusted:
                return None
            followed.append((name, Found(path, location, None, error.strerror or str(error))))
            continue
        if not stat.S_ISREG(status.st_mode):
            if kind == MARKDOWN_FILE and trusted:
                return None
            if kind == MARKDOWN_LINK:
                what = _NOT_FILES.get(stat.S_IFMT(status.st_mode), "not a regular file")
                followed.append((name, Found(path, location, None, skipped=f"{what}, not a markdown file: skipped")))
            continue
        followed.append((name, Found(path, location, file_stat(status))))
    return followed


_NOT_FILES = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device",
              stat.S_IFDIR: "a link to a directory"}


def _unfollowed(error: OSError) -> str:
    """Why a symlink leads to no file, for its warning."""
    if error.errno == errno.ENOENT:
        return "dangling symlink (its target does not exist): skipped"
    if error.errno == errno.ELOOP:
        return "symlink loop: skipped"
    return f"symlink that cannot be followed ({error.strerror or error}): skipped"
