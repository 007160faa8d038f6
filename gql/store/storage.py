"""A TinyDB storage that replaces its file atomically and can defer writes into one.

TinyDB's JSONStorage rewrites the file in place, so a crash mid-write can leave a
truncated or mixed file. Here every write goes to a temporary file in the same
directory, is fsynced, and is renamed over the old one: a reader or a crash sees
either the old content or the new, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage


class StoreCorrupt(Exception):
    """The store file exists but is not a JSON document TinyDB wrote."""


class AtomicJSONStorage(Storage):
    """JSON on disk, replaced by rename; `deferred()` turns many TinyDB writes into one."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._pending: dict[str, Any] | None = None
        self._deferring = False

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
            replace_file(self.path, orjson.dumps(data))

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold writes in memory and write the result once, when the block ends without error."""
        self._deferring, self._pending = True, None
        try:
            yield
            if self._pending is not None:
                replace_file(self.path, orjson.dumps(self._pending))
        finally:
            self._deferring, self._pending = False, None

    def close(self) -> None:
        pass


def read_store_file(path: Path) -> dict[str, Any] | None:
    """The decoded store, None when there is no file yet (or it is empty)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if not raw.strip():
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise StoreCorrupt(f"{path}: not a JSON store ({error})") from None
    if not isinstance(data, dict):
        raise StoreCorrupt(f"{path}: not a TinyDB store (top level is not an object)")
    return data


def replace_file(path: Path, content: bytes) -> None:
    """Write `content` to a temporary sibling, fsync it, rename it over `path`, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
