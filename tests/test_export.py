"""`newsgraph export`: markdown that loads back into the same archive, and JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgraph.cli.main import main
from newsgraph.store import EventStore
from newsgraph.store.store import BOOKKEEPING
from tests.drivers import newsgraph


def _content(documents: list[dict]) -> dict[str, dict]:
    return {d["path"]: {k: v for k, v in d.items() if k not in BOOKKEEPING} for d in documents}


@pytest.mark.slow
def test_the_markdown_export_loads_back_into_the_same_events(bundled_store: EventStore, tmp_path: Path) -> None:
    out = tmp_path / "export"
    exported = newsgraph("export", "--db", str(bundled_store.path), "--format", "md", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    originals = _content(bundled_store.documents())
    assert f"exported {len(originals)} events" in exported.stderr
    written = {"/" + p.relative_to(out).as_posix() for p in out.rglob("*.md")}
    assert written == set(originals)  # DIR/news/YYYY/MM/D/slug.md: the canonical path under DIR

    db = tmp_path / "reloaded.json"
    loaded = newsgraph("load", "--db", str(db), "--json", str(out))
    assert loaded.returncode == 0, loaded.stderr
    summary = json.loads(loaded.stdout)
    assert (summary["loaded"], summary["rejected"], summary["warnings"]) == (len(originals), 0, 0)
    assert _content(EventStore(db).documents()) == originals


@pytest.mark.slow
def test_json_lines_hold_one_event_each_in_archive_order(bundled_store: EventStore, tmp_path: Path) -> None:
    to_stdout = newsgraph("export", "--db", str(bundled_store.path), "--format", "jsonl")
    assert to_stdout.returncode == 0, to_stdout.stderr
    records = [json.loads(line) for line in to_stdout.stdout.splitlines()]
    originals = _content(bundled_store.documents())
    assert {r["path"]: r for r in records} == originals
    assert [(r["date"], r["path"]) for r in records] == sorted((r["date"], r["path"]) for r in records)

    out = tmp_path / "events.jsonl"
    to_file = newsgraph("export", "--db", str(bundled_store.path), "--format", "jsonl", "--out", str(out))
    assert to_file.returncode == 0 and out.read_text(encoding="utf-8") == to_stdout.stdout


def test_export_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()  # in-process: these never get as far as writing anything
    no_out = runner.invoke(main, ["export", "--db", str(tmp_path / "store.json"), "--format", "md"])
    assert no_out.exit_code == 2 and "--out" in no_out.output
    missing = runner.invoke(main, ["export", "--db", str(tmp_path / "store.json"), "--format", "jsonl"])
    assert missing.exit_code == 1 and "no store at" in missing.output
    assert runner.invoke(main, ["export", "--format", "xml"]).exit_code == 2
    assert not list(tmp_path.iterdir())
