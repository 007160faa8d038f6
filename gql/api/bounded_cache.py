"""A thread-safe LRU bounded in entries and in total size: a few huge values must not hold gigabytes.

Used for rendered summaries (by characters) and for persisted query texts (by characters
of text), where a plain `functools.lru_cache`, bounded only in entries, is not enough.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most `entries` values whose `size_of(key, value)` sum to at most `size`; least recently used out first."""

    def __init__(self, size: int, size_of: Callable[[K, V], int], entries: int | None = None) -> None:
        self.size, self.entries, self.size_of = size, entries, size_of
        self._values: OrderedDict[K, V] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    @property
    def held(self) -> int:
        """The summed size of the values kept."""
        return self._held

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Keeps the value unless it alone is over the size bound; makes room by dropping the oldest."""
        size = self.size_of(key, value)
        if size > self.size:
            return
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return
            self._values[key] = value
            self._held += size
            while self._held > self.size or (self.entries is not None and len(self._values) > self.entries):
                old_key, old_value = self._values.popitem(last=False)
                self._held -= self.size_of(old_key, old_value)
