"""A TinyDB storage that replaces its file atomically and can defer writes into one.

TinyDB's JSONStorage rewrites the file in place, so a crash mid-write can leave a
truncated or mixed file. Here every write goes to a temporary file in the same
directory, is fsynced, and is renamed over the old one: a reader or a crash sees
either the old content or the new, never a mix. The file holds slices of
documents on lines of their own (layout.py), so stores past orjson's 2 GiB limit decode.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from tinydb.storages import Storage

from newsgraph.collector import collector_paused
from newsgraph.store.layout import LayoutError, TableLayout, decode_store, encode_store

_TEMPORARY_SUFFIX = ".tmp"
_NEW_FILE_MODE = 0o644  # what `open()` gives under the usual umask 022
_WRITE_BYTES = 1 << 20  # pieces of bytes are gathered into writes of about this size
_COPY_UNSUPPORTED = {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}  # the system will not copy these files


class Span(NamedTuple):
    """Bytes `start`..`end` of a source file, written by `replace_file` as a copy made in the kernel."""

    start: int
    end: int


class StoreCorrupt(Exception):
    """The store file exists but is not a JSON document TinyDB wrote."""


class AtomicJSONStorage(Storage):
    """JSON on disk, replaced by rename; `deferred()` turns many TinyDB writes into one.

    `written` holds the data last written and where each table's documents were put
    (for the store's manifest).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._pending: dict[str, Any] | None = None
        self._deferring = False
        self.written: tuple[dict[str, Any], dict[str, TableLayout]] | None = None

    def read(self) -> dict[str, Any] | None:
        if self._deferring:
            if self._pending is None:
                self._pending = read_store_file(self.path)
            return self._pending
        return read_store_file(self.path)

    def write(self, data: dict[str, Any]) -> None:
        if self._deferring:
            self._pending = data
        else:
            self._replace(data)

    @contextlib.contextmanager
    def deferred(self, current: dict[str, Any] | None = None) -> Iterator[None]:
        """Hold writes in memory and write the result once, when the block ends without error.

        `current`: the store as already decoded by this writer under its lock, so it is not read again.
        """
        self._deferring, self._pending = True, current
        try:
            yield
            if self._pending is not None:
                self._replace(self._pending)
        finally:
            self._deferring, self._pending = False, None

    def _replace(self, data: dict[str, Any]) -> None:
        layouts: dict[str, TableLayout] = {}
        replace_file(self.path, encode_store(data, layouts))
        self.written = (data, layouts)

    def close(self) -> None:
        pass


def read_store_file(path: Path) -> dict[str, Any] | None:
    """The decoded store, None when there is no file yet (or it is empty)."""
    try:
        with open(path, "rb") as handle, collector_paused():
            data = decode_store(handle, os.fstat(handle.fileno()).st_size)
    except FileNotFoundError:
        return None
    except LayoutError as error:
        raise StoreCorrupt(f"{path}: not a JSON store ({error})") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise StoreCorrupt(f"{path}: not a TinyDB store (top level is not an object)")
    return data


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete temporaries a killed writer left beside `path`; call only while holding the writer lock."""
    if not path.parent.is_dir():
        return []
    stale = [
        entry
        for entry in path.parent.iterdir()
        if entry.name.startswith(_temporary_prefix(path)) and entry.name.endswith(_TEMPORARY_SUFFIX)
    ]
    for entry in stale:
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
    return stale


def replace_file(path: Path, content: bytes | Iterable[bytes | Span], durable: bool = True,
                 source: int | None = None) -> None:
    """Write `content` to a temporary sibling, fsync it, rename it over `path`, fsync the directory.

    `content` is bytes, or pieces: bytes, and `Span`s of the open file `source`, copied by
    `os.copy_file_range` (no trip through this process's memory; a rewrite that keeps
    most of a large file is a third faster). The new file keeps the permissions of the one
    it replaces (mkstemp's are 0600). `durable=False` skips both fsyncs, for derived files
    that are checked when read (the manifest): after a power loss such a file may be the
    old one, missing or damaged.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    descriptor, temporary = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=_TEMPORARY_SUFFIX, dir=path.parent)
    try:
        try:
            os.fchmod(descriptor, mode)
            _write_pieces(descriptor, [content] if isinstance(content, bytes) else content, source)
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if not durable:
        return
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _write_pieces(target: int, pieces: Iterable[bytes | Span], source: int | None) -> None:
    gathered: list[bytes] = []
    size = 0
    for piece in pieces:
        if isinstance(piece, Span):
            _write_all(target, gathered)
            gathered, size = [], 0
            if source is None:
                raise ValueError("a Span to copy, but no source file")
            _copy_span(source, target, piece)
            continue
        gathered.append(piece)
        size += len(piece)
        if size >= _WRITE_BYTES:
            _write_all(target, gathered)
            gathered, size = [], 0
    _write_all(target, gathered)


def _write_all(target: int, pieces: list[bytes]) -> None:
    view = memoryview(b"".join(pieces))
    while view:
        view = view[os.write(target, view):]


def _copy_span(source: int, target: int, span: Span) -> None:
    """Append the span of `source` to `target`: by `copy_file_range`, or (where the system refuses it) read and written."""
    start, end = span
    while start < end:
        try:
            copied = os.copy_file_range(source, target, end - start, start)
        except (AttributeError, OSError) as error:  # AttributeError: not Linux
            if isinstance(error, OSError) and error.errno not in _COPY_UNSUPPORTED:
                raise
            copied = _copy_read_and_write(source, target, start, end)
        if copied == 0:
            raise OSError(errno.EIO, f"the source file ends before byte {end} of the span to copy")
        start += copied


def _copy_read_and_write(source: int, target: int, start: int, end: int) -> int:
    """Copy start..end of `source` through memory, a slice at a time; the bytes copied."""
    copied = 0
    while start + copied < end:
        chunk = os.pread(source, min(_WRITE_BYTES * 8, end - start - copied), start + copied)
        if not chunk:
            break
        _write_all(target, [chunk])
        copied += len(chunk)
    return copied
