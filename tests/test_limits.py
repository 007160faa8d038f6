"""Limits on input: file size and items per section, configurable on `newsgraph load`, each with a clear error.

A file past a limit is rejected as `path:line: message`; the rest of the batch loads.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from newsgraph.load import DEFAULT_MAX_FILE_BYTES
from newsgraph.parse import ParseLimits, canonical_path
from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS
from tests.drivers import newsgraph

DAY = "### [2015-09-3](/news/2015/09/3/index.md)\n\n"


def _event(headline: str, sources: int = 1, related: int = 0, summary: str = "") -> str:
    lines = [DAY + f"# {headline} \n"]
    if summary:
        lines.append(summary + "\n")
    lines.append("### Source:\n")
    lines += [f"{n}. [Outlet {n}](https://news{n}.example.org/story)" for n in range(1, sources + 1)]
    if related:
        lines.append("\n### Related:\n")
        lines += [f"{n}. [Story {n} ](/news/2015/09/3/story-{n}.md) _Context: Topic_" for n in range(1, related + 1)]
    return "\n".join(lines) + "\n"


GOOD = {f"A good event number {n}": _event(f"A good event number {n}", sources=2, related=2) for n in range(1, 6)}


def _archive(tmp_path: Path, files: dict[str, str]) -> Path:
    """Five good events and the given ones ({headline: text}), each at its canonical path (no location warnings)."""
    archive = tmp_path / "news"
    for headline, text in {**GOOD, **files}.items():
        target = _file(archive, headline)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return archive


def _file(archive: Path, headline: str) -> Path:
    return archive / canonical_path(dt.date(2015, 9, 3), headline).removeprefix("/news/")


@pytest.mark.slow
def test_a_file_over_max_file_bytes_is_rejected_with_its_size_and_the_limit(tmp_path: Path) -> None:
    big = _event("A long summary", summary="word " * 1_000)  # about 5 kB
    archive = _archive(tmp_path, {"A long summary": big, "A short one": _event("A short one")})
    db = tmp_path / "store.json"
    result = newsgraph("load", "--db", str(db), str(archive), "--quiet", "--max-file-bytes", "4000")
    assert result.returncode == 1
    size = len(big.encode("utf-8"))
    assert f"error: {_file(archive, 'A long summary')}:1: file is {size:,} bytes, over the limit of 4,000" in result.stderr
    assert f"{len(GOOD) + 1} loaded, 0 unchanged, 1 rejected" in result.stdout
    headlines = {document["headline"] for document in EventStore(db).documents()}
    assert "A short one" in headlines and "A long summary" not in headlines

    raised = newsgraph("load", "--db", str(db), str(archive), "--quiet", "--max-file-bytes", str(size))
    assert raised.returncode == 0, raised.stderr
    assert "A long summary" in {document["headline"] for document in EventStore(db).documents()}


@pytest.mark.slow
def test_the_default_file_limit_refuses_a_ten_megabyte_file(tmp_path: Path) -> None:
    archive = _archive(tmp_path, {})
    huge = archive / "huge.md"  # never parsed: its size is checked first
    with huge.open("w", encoding="utf-8") as handle:
        handle.write(DAY + "# Huge \n\n")
        handle.write(("padding " * 128 + "\n") * 10_000)  # 10 MB
    db = tmp_path / "store.json"
    result = newsgraph("load", "--db", str(db), str(archive), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["rejected"] == 1 and report["loaded"] == len(GOOD)
    assert report["problems"] == [{
        "file": str(huge), "line": 1, "severity": "error",
        "message": f"file is {huge.stat().st_size:,} bytes, over the limit of {DEFAULT_MAX_FILE_BYTES:,}",
    }]


@pytest.mark.slow
def test_a_section_over_max_items_is_rejected_at_the_section(tmp_path: Path) -> None:
    archive = _archive(tmp_path, {
        "Many sources": _event("Many sources", sources=5),
        "Many related": _event("Many related", related=4),
        "Within the limit": _event("Within the limit", sources=3, related=3),
    })
    db = tmp_path / "store.json"
    result = newsgraph("load", "--db", str(db), str(archive), "--quiet", "--max-items", "3")
    assert result.returncode == 1
    sources_line = _event("Many sources", sources=5).splitlines().index("1. [Outlet 1](https://news1.example.org/story)") + 1
    related_line = _event("Many related", related=4).splitlines().index(
        "1. [Story 1 ](/news/2015/09/3/story-1.md) _Context: Topic_") + 1
    assert (f"error: {_file(archive, 'Many sources')}:{sources_line}: sources section has more than 3 items (the limit)"
            in result.stderr)
    assert (f"error: {_file(archive, 'Many related')}:{related_line}: related section has more than 3 items (the limit)"
            in result.stderr)
    headlines = {document["headline"] for document in EventStore(db).documents()}
    assert "Within the limit" in headlines
    assert not headlines & {"Many sources", "Many related"}
    assert len(headlines) == len(GOOD) + 1


@pytest.mark.slow
def test_the_default_items_limit_applies_without_the_flag(tmp_path: Path) -> None:
    limit = ParseLimits().max_items_per_section
    archive = _archive(tmp_path, {"At the limit": _event("At the limit", sources=limit),
                                  "Over the limit": _event("Over the limit", sources=limit + 1)})
    result = newsgraph("load", "--db", str(tmp_path / "store.json"), str(archive), "--json")
    report = json.loads(result.stdout)
    assert report["rejected"] == 1
    assert [p["message"] for p in report["problems"]] == [f"sources section has more than {limit} items (the limit)"]
    assert report["problems"][0]["file"] == str(_file(archive, "Over the limit"))
    assert report["loaded"] == len(GOOD) + 1


@pytest.mark.slow
def test_limits_must_be_positive_numbers(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    for flag, value in (("--max-items", "0"), ("--max-file-bytes", "-1"), ("--max-items", "many"),
                        ("--lock-timeout", "-5")):
        result = newsgraph("load", "--db", str(db), str(BUNDLED_NEWS), flag, value)
        assert result.returncode == 2, (flag, value, result.stderr)
        assert flag in result.stderr
    assert not db.exists()
