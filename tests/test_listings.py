"""Directory listings kept beside the store (newsgraph.load.listings): a scan that reuses them finds what a fresh scan finds.

The listings are written and read through the real file after every scan, and the
tree is changed between scans by every kind of edit a user makes (files added,
removed, renamed and rewritten, directories added, removed and replaced, symlinks
made, broken and mended). A short racy window (`racy_ns`) and a pause longer than it
after each edit let the listings be recorded at test speed; the default window is
checked through `load_files` once.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsgraph.load import load_files
from newsgraph.load.finder import Found, find_markdown
from newsgraph.load.listings import Listings, listings_path, read_listings, write_listings
from newsgraph.store import EventStore

SHORT_RACY_NS = 30_000_000  # 30 ms: longer than a coarse timestamp tick
SETTLE = 0.04  # seconds to wait after an edit, so the edited directory's listing may be recorded


def _scan(root: Path, store: Path) -> tuple[list[Found], Listings]:
    """A scan reusing the listings beside `store`, which it then writes back, as a load does."""
    recorded = read_listings(store)
    listings = Listings(recorded.recorded, racy_ns=SHORT_RACY_NS)
    found = list(find_markdown([root], listings))
    write_listings(store, listings, [os.path.realpath(root)])
    return found, listings


def _fresh(root: Path) -> list[Found]:
    return list(find_markdown([root]))


def _write(path: Path, text: str = "# x\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


DIRECTORIES = ["", "a", "a/b", "c", "c/d.md"]
NAMES = ["one.md", "two.md", "z.md", "notes.txt"]
EDITS = st.lists(st.tuples(st.sampled_from(["add", "remove", "rewrite", "rename", "mkdir", "rmtree", "link",
                                            "break-link", "file-to-dir"]),
                           st.sampled_from(DIRECTORIES), st.sampled_from(NAMES)), min_size=1, max_size=8)


def _edit(root: Path, action: str, directory: str, name: str) -> None:
    """One edit of the tree; edits that do not apply to its present state do nothing."""
    place = root / directory
    target = place / name
    if action == "add" and place.is_dir() and not target.exists():
        _write(target)
    elif action == "remove" and (target.is_file() or target.is_symlink()):
        target.unlink()
    elif action == "rewrite" and target.is_file() and not target.is_symlink():
        _write(target, target.read_text(encoding="utf-8") + "more\n")  # same directory entries: only the file changes
    elif action == "rename" and target.is_file() and not (place / ("moved-" + name)).exists():
        target.rename(place / ("moved-" + name))
    elif action == "mkdir":
        place.mkdir(parents=True, exist_ok=True)
    elif action == "rmtree" and directory and place.is_dir():
        shutil.rmtree(place)
    elif action == "link" and place.is_dir() and not target.exists() and not target.is_symlink():
        target.symlink_to(root / "shared.md")
    elif action == "break-link":
        (root / "shared.md").unlink(missing_ok=True)  # every link to it now leads nowhere
        if directory == "a":
            _write(root / "shared.md")  # and, for some edits, mended again
    elif action == "file-to-dir" and target.is_file() and not target.is_symlink():
        target.unlink()
        target.mkdir()
        _write(target / "inner.md")


@settings(max_examples=15, deadline=None)
@given(edits=EDITS)
def test_a_scan_reusing_listings_finds_what_a_fresh_scan_finds(tmp_path_factory: pytest.TempPathFactory,
                                                                 edits: list[tuple[str, str, str]]) -> None:
    base = tmp_path_factory.mktemp("tree")
    root, store = base / "news", base / "store.json"
    for name in ["one.md", "a/one.md", "a/b/two.md", "c/z.md", "c/notes.txt", "shared.md"]:
        _write(root / name)
    time.sleep(SETTLE)
    found, listings = _scan(root, store)
    assert found == _fresh(root)
    assert listings.seen, "the settled tree's listings were not recorded"
    for edit in edits:
        _edit(root, *edit)
        time.sleep(SETTLE)
        found, _ = _scan(root, store)
        assert found == _fresh(root), edit
    found, listings = _scan(root, store)
    assert found == _fresh(root)
    assert not listings.changed, "a scan of a tree that did not change listed a directory again"


def test_a_scan_lists_only_the_directories_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, store = tmp_path / "news", tmp_path / "store.json"
    for name in ["2015/09/01/a.md", "2015/09/02/b.md", "2015/10/01/c.md"]:
        _write(root / name)
    time.sleep(SETTLE)
    _scan(root, store)
    listed: list[str] = []
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        listed.append(os.path.relpath(path, root))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    _write(root / "2015/09/01/a.md", "# changed\n")  # a file's content: its directory keeps its entries
    found, listings = _scan(root, store)
    assert listed == [] and not listings.changed
    assert [f.name for f in found] == [str(root / n) for n in ["2015/09/01/a.md", "2015/09/02/b.md", "2015/10/01/c.md"]]
    assert found[0].stat[0] == len("# changed\n")  # the file itself is stat-ed every time
    _write(root / "2015/09/02/new.md")
    found, listings = _scan(root, store)
    assert listed == ["2015/09/02"] and listings.changed
    assert str(root / "2015/09/02/new.md") in [f.name for f in found]


def test_a_listing_changed_within_its_racy_window_is_not_recorded(tmp_path: Path) -> None:
    root = tmp_path / "news"
    _write(root / "a/one.md")
    racy = Listings(racy_ns=60_000_000_000)  # a minute: everything just written is racy
    list(find_markdown([root], racy))
    assert racy.changed and racy.seen == {}
    settled = Listings(racy_ns=0)
    list(find_markdown([root], settled))
    assert sorted(settled.seen) == [os.path.realpath(root), os.path.realpath(root / "a")]


@pytest.mark.parametrize("damage", [
    b"not json", b"[]", b'{"version": 99, "directories": {}}', b'{"version": 1, "directories": []}',
    "fone.md\0f../../outside.md", "fone.md\0d..", "xone.md", "fone.md\0fsecret.txt",  # damaged entries
    "fghost.md\0fone.md", "fone.md\0fsub.md",  # a file that is gone, a file that is a directory now
])
def test_damaged_or_stale_listings_are_ignored_and_replaced(tmp_path: Path, damage: bytes | str) -> None:
    """Whatever the file holds, the scan finds what a fresh scan finds and never leaves the directory.

    The stale listings stand for a file system that does not change a directory's stat
    when its entries change: a recorded file that is gone or is not a file has the
    directory listed again.
    """
    root, store = tmp_path / "news", tmp_path / "store.json"
    for name in ["a/one.md", "a/secret.txt", "a/sub.md/inner.md", "outside.md"]:
        _write((tmp_path if name == "outside.md" else root) / name)
    time.sleep(SETTLE)
    _scan(root, store)
    if isinstance(damage, bytes):
        listings_path(store).write_bytes(damage)
    else:
        raw = orjson.loads(listings_path(store).read_bytes())
        raw["directories"][os.path.realpath(root / "a")][1] = damage
        listings_path(store).write_bytes(orjson.dumps(raw))
    found, listings = _scan(root, store)
    assert found == _fresh(root)
    assert [f.name for f in found] == [str(root / "a/one.md"), str(root / "a/sub.md/inner.md")]
    assert listings.changed
    assert _scan(root, store)[0] == found and not _scan(root, store)[1].changed  # replaced by a sound file


def test_a_reload_finds_a_file_added_to_a_directory_listed_before(news_copy: Path, store: EventStore) -> None:
    """Through `load_files`, with the default racy window: the first load after the archive settles records the
    listings, a load after a file is added and another edited reads both, and one after nothing changed
    leaves the listings file as it was."""
    load_files(store, [news_copy])
    time.sleep(2.1)  # the archive was copied just now: its listings become recordable after the racy window
    load_files(store, [news_copy])
    written = listings_path(store.path).stat().st_mtime_ns
    day = sorted(news_copy.glob("*/*/*"))[0]
    existing = sorted(day.glob("*.md"))[0]
    added = day / "an-added-event.md"
    added.write_text(existing.read_text(encoding="utf-8").replace("\n# ", "\n# Added: ", 1), encoding="utf-8")
    lines = existing.read_text(encoding="utf-8").split("\n")
    headline = next(number for number, line in enumerate(lines) if line.startswith("# "))
    existing.write_text("\n".join([*lines[:headline + 1], "", "One more paragraph.", *lines[headline + 1:]]),
                        encoding="utf-8")
    report = load_files(store, [news_copy])
    assert (report.loaded, report.rejected) == (2, 0), [str(p) for p in report.problems]
    assert str(added.resolve()) in {document["file"] for document in store.documents()}
    assert listings_path(store.path).stat().st_mtime_ns != written  # the changed directory's listing is replaced
    time.sleep(2.1)
    load_files(store, [news_copy])
    settled = listings_path(store.path).stat().st_mtime_ns
    report = load_files(store, [news_copy])
    assert (report.loaded, report.rejected) == (0, 0)
    assert listings_path(store.path).stat().st_mtime_ns == settled
