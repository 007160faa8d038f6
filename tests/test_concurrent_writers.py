"""Two loads into one store never interleave: the second waits for the first, or fails with a clear message.

Plain TinyDB has no lock between processes (two writers lose documents); the
store's writer lock covers a whole load, from reading the store to replacing it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock

from bench.corpus import generate_events, write_archive
from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS
from tests.drivers import REPO, newsgraph

pytestmark = pytest.mark.slow


def _start_load(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "newsgraph", "load", "--db", str(db), "--quiet", "--json", *args],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_loads_started_together_both_land_whole(tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    write_archive(generate_events(300, seed=5), generated)
    bundled_count = len(list(BUNDLED_NEWS.rglob("*.md")))
    for round_ in range(3):
        db = tmp_path / f"store-{round_}.json"
        loads = [_start_load(db, str(BUNDLED_NEWS)), _start_load(db, str(generated))]
        reports = []
        for process in loads:
            stdout, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, stderr
            reports.append(json.loads(stdout))
        assert [report["loaded"] for report in reports] == [bundled_count, 300]
        documents = EventStore(db).documents()
        assert len(documents) == bundled_count + 300
        assert len({document["path"] for document in documents}) == len(documents)


def test_a_load_waits_while_another_writer_holds_the_store(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    lock = FileLock(str(db) + ".lock", thread_local=False)  # released by another thread below
    lock.acquire()
    released_at: list[float] = []

    def release_later() -> None:
        time.sleep(1.5)
        released_at.append(time.monotonic())
        lock.release()

    threading.Thread(target=release_later).start()
    started = time.monotonic()
    result = newsgraph("load", "--db", str(db), str(BUNDLED_NEWS), "--quiet")
    finished = time.monotonic()
    assert result.returncode == 0, result.stderr
    assert released_at and finished > released_at[0] > started  # it finished only after the lock was let go
    assert len(EventStore(db).documents()) == len(list(BUNDLED_NEWS.rglob("*.md")))


def test_a_load_gives_up_with_a_clear_message_past_the_lock_timeout(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    with FileLock(str(db) + ".lock"):
        started = time.monotonic()
        result = newsgraph("load", "--db", str(db), str(BUNDLED_NEWS), "--quiet", "--lock-timeout", "0.5")
        waited = time.monotonic() - started
    assert result.returncode == 1
    assert f"error: {db} is being written by another process" in result.stderr
    assert "try again when that load ends" in result.stderr
    assert "Traceback" not in result.stderr
    assert waited < 30
    assert not db.exists()  # nothing was written
