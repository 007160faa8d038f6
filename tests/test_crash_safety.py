"""SIGKILL `newsgraph load` at random moments: the store always holds the old content or the new, never a mix.

A generated archive of a few thousand events is the store's "before"; the archive
on disk is then edited (changed and new events) for an upsert load, and later
thinned out for a `--prune` load that removes many events (a shrinking write, the
case where TinyDB's own in-place rewrite leaves a truncated file). Each load is
killed, again and again, at seeded random delays across its duration and also
while its temporary file is being written. After every kill the store must open
with plain TinyDB and with `EventStore`, and hold exactly the before-set or the
after-set of events. The lock a killed load held must be free for the next load,
and the next complete load cleans up any temporary a kill left.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from tinydb import TinyDB

from bench.corpus import generate_events, write_archive
from newsgraph.parse import canonical_path
from newsgraph.store import EventStore, event_to_document
from tests.drivers import REPO

pytestmark = pytest.mark.slow

EVENTS = 2_000  # at the loader's parallel threshold: the killed load has pool workers too
CHANGED_EVERY = 10  # every 10th event's file gets an extra paragraph for the upsert load
NEW_EVENTS = 250
REMOVED_EVERY = 2  # every 2nd file is deleted before the --prune load
KILLS = 10  # per scenario (20 in all): half at random delays, half while the temporary file exists
SEED = 20_151


@dataclass
class Scenario:
    name: str
    root: Path  # the archive directory the load reads
    db: Path
    before_bytes: bytes
    before: dict[str, dict]
    after: dict[str, dict]
    seconds: float  # how long the uninterrupted load took
    prune: bool
    after_bytes: bytes = b""

    def held(self) -> str:
        """"before" or "after": which content the store holds now; fails the test for anything else.

        A file byte-identical to the before- or after-store (each opened and checked with
        TinyDB and EventStore once) holds that content; any other file is opened with both
        and its events compared.
        """
        content = self.db.read_bytes()
        if content in (self.before_bytes, self.after_bytes):
            return "before" if content == self.before_bytes else "after"
        held = _snapshot(self.db)
        if held == self.before:
            return "before"
        assert held == self.after, (
            f"{self.name}: the store holds {len(held)} events, neither the {len(self.before)} before "
            f"nor the {len(self.after)} after"
        )
        return "after"


def _content(document: dict) -> dict:
    """A stored document without `file_stat`: when a file was last seen is not what the store holds of it."""
    return {key: value for key, value in document.items() if key != "file_stat"}


def _snapshot(db: Path) -> dict[str, dict]:
    """The events the store holds, read twice: by plain TinyDB and by EventStore; both must agree."""
    database = TinyDB(db, access_mode="r")
    try:
        by_tinydb = {document["path"]: _content(document) for document in database.table("events").all()}
    finally:
        database.close()
    by_store = {document["path"]: _content(document) for document in EventStore(db).documents()}
    assert by_tinydb == by_store
    return by_store


def _temporaries(db: Path) -> list[str]:
    return [entry.name for entry in db.parent.iterdir() if entry.name.startswith(f".{db.name}.")]


def _load_command(scenario: Scenario) -> list[str]:
    prune = ["--prune"] if scenario.prune else []
    return [sys.executable, "-m", "newsgraph", "load", "--db", str(scenario.db), str(scenario.root), "--quiet", "--json",
            "--lock-timeout", "10", *prune]


def _restore(scenario: Scenario) -> None:
    """Put the before-store back in place, atomically, as a reader would have seen it."""
    staging = scenario.db.with_name("restore.tmp")
    staging.write_bytes(scenario.before_bytes)
    os.replace(staging, scenario.db)


def _write_store(db: Path, root: Path, events: list) -> None:
    """The before-store, written directly: the documents a load of these files records (file and content hash)."""
    documents = []
    for event in events:
        file = root / canonical_path(event.date, event.headline).lstrip("/")
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        documents.append(event_to_document(event, str(file.resolve()), digest))
    EventStore(db).write(documents)


def _complete_load(scenario: Scenario) -> tuple[dict[str, dict], float]:
    started = time.monotonic()
    result = subprocess.run(_load_command(scenario), cwd=REPO, capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    return _snapshot(scenario.db), seconds


@pytest.fixture(scope="module")
def upsert(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """A store of EVENTS generated events; on disk, every 10th file edited and NEW_EVENTS more files."""
    base = tmp_path_factory.mktemp("crash")
    root = base / "archive"
    events = list(generate_events(EVENTS, SEED))
    write_archive(events, root)
    db = base / "store" / "newsgraph.json"
    db.parent.mkdir()
    _write_store(db, root, events)
    for file in sorted(root.rglob("*.md"))[::CHANGED_EVERY]:
        text = file.read_text(encoding="utf-8")
        file.write_text(text.replace("\n### Source", "\nAn added paragraph.\n\n### Source", 1), encoding="utf-8")
    write_archive(generate_events(NEW_EVENTS, SEED + 1), root)
    scenario = Scenario("upsert", root, db, db.read_bytes(), _snapshot(db), {}, 0.0, prune=False)
    scenario.after, scenario.seconds = _complete_load(scenario)
    scenario.after_bytes = db.read_bytes()
    assert len(scenario.after) > len(scenario.before) and scenario.after != scenario.before
    return scenario


@pytest.fixture(scope="module")
def prune(upsert: Scenario) -> Scenario:
    """The upsert's result as the store; on disk, every 2nd file deleted, so `--prune` removes their events.

    Set up only when its test runs, after the upsert test: it changes the same directory.
    """
    if upsert.db.read_bytes() != upsert.after_bytes:  # the upsert test ends with its after-store in place
        _restore(upsert)
        _complete_load(upsert)
    for file in sorted(upsert.root.rglob("*.md"))[::REMOVED_EVERY]:
        file.unlink()
    scenario = Scenario("prune", upsert.root, upsert.db, upsert.db.read_bytes(), upsert.after, {}, 0.0, prune=True)
    scenario.after, scenario.seconds = _complete_load(scenario)
    scenario.after_bytes = upsert.db.read_bytes()
    assert len(scenario.after) < len(scenario.before) * 0.6  # the store shrinks by about half
    return scenario


def _kill_at_random(scenario: Scenario, rng: random.Random, during_write: bool) -> tuple[bool, bool]:
    """Start the load and SIGKILL it; (killed while running, a temporary file existed at the kill)."""
    _restore(scenario)
    stale = set(_temporaries(scenario.db))  # left by the previous kill; this load deletes them before writing

    def writing() -> bool:
        return bool(set(_temporaries(scenario.db)) - stale)

    process = subprocess.Popen(_load_command(scenario), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if during_write:
            deadline = time.monotonic() + scenario.seconds * 3 + 10
            while process.poll() is None and not writing() and time.monotonic() < deadline:
                time.sleep(0.0005)
            time.sleep(rng.uniform(0, 0.01))
        else:
            time.sleep(rng.uniform(0, scenario.seconds))
        mid_write = writing()
        running = process.poll() is None
        process.send_signal(signal.SIGKILL)  # the loading process only, as `kill -9 PID` would
    finally:
        process.wait(timeout=30)
    if not running:
        assert process.returncode == 0, process.stderr.read().decode()
    return running, mid_write


def _no_orphans(db: Path) -> bool:
    """True when no process (a pool worker of a killed load) still has this store on its command line."""
    needle = str(db).encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    return False
            except OSError:
                continue
    return True


def test_a_killed_upsert_load_leaves_the_old_store_or_the_new(upsert: Scenario) -> None:
    _kill_repeatedly(upsert, random.Random(SEED))


def test_a_killed_prune_load_leaves_the_old_store_or_the_new(prune: Scenario) -> None:
    """The shrinking write: where TinyDB's own storage can leave a truncated file."""
    _kill_repeatedly(prune, random.Random(SEED + 1))


def _kill_repeatedly(scenario: Scenario, rng: random.Random) -> None:
    """KILLS kills that land while the load runs (a load that ends first is checked and tried again)."""
    outcomes = {"before": 0, "after": 0}
    delivered = mid_write = attempts = 0
    while delivered < KILLS and attempts < 3 * KILLS:
        running, during = _kill_at_random(scenario, rng, during_write=attempts % 2 == 1)
        attempts += 1
        delivered += running
        mid_write += during and running
        outcomes[scenario.held()] += 1  # the store opens and holds the before- or the after-set, or the test fails
    print(f"\n{scenario.name}: {delivered} kills of {attempts} loads ({mid_write} with the new store half "
          f"written), uninterrupted load {scenario.seconds:.1f} s, store left {outcomes}")
    assert delivered == KILLS
    assert mid_write >= 1, "at least one kill should land while the new store was being written"

    # The killed loads left neither a held lock, nor orphaned workers for long, nor temporaries past the next load.
    deadline = time.monotonic() + 5
    while not _no_orphans(scenario.db) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _no_orphans(scenario.db), "pool workers of a killed load outlived it"
    _restore(scenario)
    held, _seconds = _complete_load(scenario)  # --lock-timeout 10: fails if a killed load still held the lock
    assert held == scenario.after
    assert _temporaries(scenario.db) == []


def test_the_store_file_keeps_its_permissions_across_writes(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "newsgraph.json")
    store.write([])
    assert store.path.stat().st_mode & 0o777 == 0o644
    store.path.chmod(0o640)
    events = list(generate_events(3, SEED))
    store.write([event_to_document(event) for event in events])
    assert store.path.stat().st_mode & 0o777 == 0o640


def test_a_truncated_store_is_reported_not_loaded_over(tmp_path: Path) -> None:
    """What TinyDB's in-place rewrite can leave: the store refuses it rather than guessing, and keeps it as it is."""
    store = EventStore(tmp_path / "newsgraph.json")
    store.write([event_to_document(event) for event in generate_events(20, SEED)])
    truncated = store.path.read_bytes()[: store.path.stat().st_size // 2]
    store.path.write_bytes(truncated)
    result = subprocess.run([sys.executable, "-m", "newsgraph", "load", "--db", str(store.path), str(REPO / "data" / "news"),
                             "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert f"error: {store.path}: not a JSON store" in result.stderr
    assert store.path.read_bytes() == truncated


def test_a_batch_that_changes_the_newest_document_and_adds_others(tmp_path: Path) -> None:
    """Found by the kill test: TinyDB gave an added document the id of a replaced one ("already exists")."""
    store = EventStore(tmp_path / "newsgraph.json")
    first, second, third = (event_to_document(event) for event in generate_events(3, SEED))
    store.write([first, second])
    summary = store.write([{**second, "summary": "changed"}, third])
    assert (summary.added, summary.changed) == (1, 1)
    stored = {document["path"]: document for document in store.documents()}
    assert stored.keys() == {first["path"], second["path"], third["path"]}
    assert stored[second["path"]]["summary"] == "changed"
