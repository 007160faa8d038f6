"""gql/collector.py: the cycle collector paused around big acyclic builds, and what a server keeps frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from newsgraph.archive.holder import ArchiveHolder
from newsgraph.collector import collector_paused
from newsgraph.store import EventStore


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_collector_is_off_inside_and_back_on_after_an_error(unfrozen: None) -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused(freeze=True):
        assert not gc.isenabled()
        raise RuntimeError("the build failed")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # a failed build's leftovers are not kept out of collections


def test_a_served_archive_is_kept_out_of_later_collections(bundled_store: EventStore, unfrozen: None) -> None:
    holder = ArchiveHolder(bundled_store)
    assert gc.isenabled()
    assert gc.get_freeze_count() > 10 * len(holder.current().events)  # its events, their sources, links, indexes
    before = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.get_freeze_count() == before  # only a kept structure is frozen
