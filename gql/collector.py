"""Pausing Python's cyclic garbage collector while millions of acyclic objects are made."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused", "refreeze"]


@contextlib.contextmanager
def collector_paused(freeze: bool = False) -> Iterator[None]:
    """No cyclic garbage collection inside the block (decoding a store, building an archive).

    Each generation-0 collection walks the young objects and every full collection the
    whole, growing heap: about half the CPU of decoding a store or building an archive
    of 100k events. Nothing these make is cyclic, so refcounting frees all their garbage.
    The switch is process-wide: other threads' cyclic garbage waits until the end.

    `freeze`: everything alive at the end is moved out of the collector's sight for good
    (`gc.freeze`), for what a server keeps for hours (its archive). Else the first
    collection after the pause walks every object made in it (a tenth of an archive's
    build), and each later full collection walks them again. Frozen objects are still
    freed by refcounting when the archive is replaced.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


def refreeze() -> None:
    """Free what earlier freezes kept by mistake, then freeze what is alive now (a server, after swapping archives).

    `gc.freeze()` cannot pick what it freezes: it takes every object alive, so the objects of
    the requests in flight (and their cyclic garbage not yet collected) are frozen with the
    archive, and a frozen cycle is never collected. A request's objects hold the archive it
    read, so each reload under queries kept the previous archive alive. One full collection
    per reload, small beside the build, frees them (and what the search index's own freeze, at the first search, kept): the
    memory of a server stays flat however often it reloads.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
