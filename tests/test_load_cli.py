"""`newsgraph load` as a user runs it: real processes, real files, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS
from tests.drivers import REPO, newsgraph

SPECIMEN_DAY = "### [2015-09-3](/news/2015/09/3/index.md)\n\n"


def _load(db: Path, *args: str):
    return newsgraph("load", "--db", str(db), *args)


def test_the_bundled_archive_loads_whole_and_a_second_load_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    first = _load(db, str(BUNDLED_NEWS))
    assert first.returncode == 0, first.stderr
    assert "214 loaded, 0 unchanged, 0 rejected, 0 warnings, 0 removed" in first.stdout
    content = db.read_bytes()
    second = _load(db, str(BUNDLED_NEWS))
    assert second.returncode == 0
    assert "0 loaded, 214 unchanged, 0 rejected" in second.stdout
    assert db.read_bytes() == content


def test_rejected_files_are_reported_with_file_and_line_and_the_rest_is_stored(tmp_path: Path) -> None:
    archive = tmp_path / "news"
    shutil.copytree(BUNDLED_NEWS / "2015" / "09" / "3", archive)
    good = len(list(archive.glob("*.md")))
    (archive / "no-day.md").write_text("# A headline without a day\n", encoding="utf-8")
    (archive / "bad-date.md").write_text("\n### [2015-02-30](/news/2015/02/30/index.md)\n\n# Headline\n", encoding="utf-8")
    db = tmp_path / "store.json"
    result = _load(db, str(archive))
    assert result.returncode == 1
    assert f"{archive / 'no-day.md'}:1: no day heading" in result.stderr
    assert f"{archive / 'bad-date.md'}:2: impossible date 2015-02-30" in result.stderr
    assert f"{good} loaded, 0 unchanged, 2 rejected" in result.stdout
    assert len(EventStore(db).documents()) == good


@pytest.mark.slow
def test_usage_errors_exit_2_and_touch_nothing(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    missing = _load(db, str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "no such file or directory" in missing.stderr
    assert newsgraph("load", "--db", str(db)).returncode == 2
    assert newsgraph("load", "--no-such-flag", str(BUNDLED_NEWS)).returncode == 2
    assert not db.exists()


def test_json_summary_strict_and_prune(tmp_path: Path) -> None:
    archive = tmp_path / "news"
    shutil.copytree(BUNDLED_NEWS / "2015" / "09" / "4", archive / "2015" / "09" / "4")
    odd = archive / "odd-location.md"
    odd.write_text(SPECIMEN_DAY + "# Somewhere else entirely \n", encoding="utf-8")
    db = tmp_path / "store.json"
    strict = json.loads(_load(db, str(archive), "--strict", "--json").stdout)
    assert strict["rejected"] == 1
    assert strict["problems"][0]["message"].startswith("file location disagrees with the canonical path")
    relaxed = json.loads(_load(db, str(archive), "--json").stdout)
    assert (relaxed["loaded"], relaxed["rejected"], relaxed["warnings"]) == (1, 0, 1)
    stored = len(EventStore(db).documents())
    odd.unlink()
    kept = json.loads(_load(db, str(archive), "--json").stdout)
    assert kept["removed"] == 0 and len(EventStore(db).documents()) == stored
    pruned = json.loads(_load(db, str(archive), "--prune", "--json").stdout)
    assert pruned["removed"] == 1 and len(EventStore(db).documents()) == stored - 1


def test_an_edited_file_is_reloaded_and_unchanged_files_are_skipped(tmp_path: Path) -> None:
    archive = tmp_path / "news"
    shutil.copytree(BUNDLED_NEWS / "2015" / "09" / "5", archive / "2015" / "09" / "5")
    db = tmp_path / "store.json"
    _load(db, str(archive))
    files = sorted(archive.rglob("*.md"))
    edited, other = files[0], files[1]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # new bytes, same event
    text = other.read_text(encoding="utf-8")
    other.write_text(text.replace("### Source", "A new summary line.\n\n### Source", 1), encoding="utf-8")
    report = json.loads(_load(db, str(archive), "--json").stdout)
    assert report["loaded"] == 1 and report["unchanged"] == len(files) - 1
    summaries = {d["file"]: d["summary"] for d in EventStore(db).documents()}
    assert summaries[str(other.resolve())].endswith("A new summary line.")


def test_a_new_file_with_the_path_of_an_unchanged_one_is_rejected_wherever_it_sorts(tmp_path: Path) -> None:
    archive = tmp_path / "news"
    day = archive / "2015" / "09" / "5"
    shutil.copytree(BUNDLED_NEWS / "2015" / "09" / "5", day)
    db = tmp_path / "store.json"
    _load(db, str(archive))
    original = sorted(day.glob("*.md"))[1]
    copies = [day / f"0-copy-{original.name}", day / f"zz-copy-{original.name}"]  # sorting before and after it
    for copy in copies:
        shutil.copyfile(original, copy)
    result = _load(db, str(archive))
    assert result.returncode == 1
    for copy in copies:
        assert f"{copy}:1: same canonical path as {original}" in result.stderr
    files = {d["path"]: d["file"] for d in EventStore(db).documents()}
    assert str(original.resolve()) in files.values() and not {str(c.resolve()) for c in copies} & set(files.values())


def test_files_parsed_while_the_scan_goes_on_keep_the_order_of_the_files(tmp_path: Path) -> None:
    """Two copies of the archive: enough files that a pool parses chunks during the scan and after it. The first
    copy still holds every canonical path, and each file of the second is reported against its twin, in order."""
    first, second = tmp_path / "a" / "news", tmp_path / "b" / "news"
    shutil.copytree(BUNDLED_NEWS, first)
    shutil.copytree(BUNDLED_NEWS, second)
    db = tmp_path / "store.json"
    report = json.loads(_load(db, str(first), str(second), "--json").stdout)
    twins = sorted(second.rglob("*.md"))
    assert (report["loaded"], report["rejected"]) == (len(twins), len(twins))
    assert [problem["file"] for problem in report["problems"]] == [str(twin) for twin in twins]
    for problem, twin in zip(report["problems"], twins, strict=True):
        assert problem["message"].startswith(f"same canonical path as {first / twin.relative_to(second)}: ")
    assert {d["file"] for d in EventStore(db).documents()} == {str(f.resolve()) for f in first.rglob("*.md")}


def test_a_reload_stores_exactly_the_edited_files_and_counts_touched_ones_unchanged(tmp_path: Path) -> None:
    """Edited files are spread over the archive and more than a pool's worth; touched files keep their bytes."""
    archive = tmp_path / "news"
    shutil.copytree(BUNDLED_NEWS, archive)
    db = tmp_path / "store.json"
    _load(db, str(archive))
    files = sorted(archive.rglob("*.md"))
    edited, touched = files[::4], files[1::4]
    for file in edited:
        file.write_text(file.read_text(encoding="utf-8").replace("### Source", "An added line.\n\n### Source", 1),
                        encoding="utf-8")
    for file in touched:
        os.utime(file, ns=(file.stat().st_atime_ns, file.stat().st_mtime_ns + 10**9))
    report = json.loads(_load(db, str(archive), "--json").stdout)
    assert (report["loaded"], report["unchanged"], report["rejected"]) == (len(edited), len(files) - len(edited), 0)
    stored = {d["file"]: d for d in EventStore(db).documents()}
    assert {f for f, d in stored.items() if d["summary"].endswith("An added line.")} == {str(f.resolve()) for f in edited}


@pytest.mark.slow
def test_a_worker_that_dies_fails_the_load_with_one_error_line_and_the_store_unchanged(tmp_path: Path) -> None:
    """A parsing worker killed mid-load (here: it exits at its first job) is an `error:` line and exit 1, no traceback."""
    archive = tmp_path / "news"
    shutil.copytree(BUNDLED_NEWS, archive)
    db = tmp_path / "store.json"
    _load(db, str(archive / "2015" / "09" / "1"))
    before = db.read_bytes()
    dying_worker = ("import os, sys; import newsgraph.load.pool as pool; pool.read_and_parse = lambda *args: os._exit(9); "
                    "from newsgraph.cli.main import run; sys.argv[0] = 'newsgraph'; run()")
    result = subprocess.run([sys.executable, "-c", dying_worker, "load", "--db", str(db), str(archive)],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: a worker process reading and parsing files died")
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == before


@pytest.mark.slow
def test_python_dash_m_gql_is_the_same_command() -> None:
    result = newsgraph("--help")
    assert result.returncode == 0
    assert "load" in result.stdout and "serve" in result.stdout
