"""Results kept per archive (pure): an archive never changes, so what was computed from it stays true.

A reload builds a new archive; the old one's results go with it (the archive is a weak key),
so nothing computed on a replaced archive is ever answered again.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from newsgraph.archive.archive import Archive

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PerArchive(Generic[K, V]):
    """For each live archive, at most `entries` results by key, least recently used out first.

    Two threads asking for the same missing key may both compute it: the same value, either will do.
    """

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._kept: weakref.WeakKeyDictionary[Archive, OrderedDict[K, V]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, archive: Archive, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            kept = self._kept.get(archive)
            if kept is None:
                kept = self._kept[archive] = OrderedDict()
            elif key in kept:
                kept.move_to_end(key)
                return kept[key]
        value = make()
        with self._lock:
            kept[key] = value
            while len(kept) > self.entries:
                kept.popitem(last=False)
        return value
