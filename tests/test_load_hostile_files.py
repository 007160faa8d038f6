"""`newsgraph load` over hostile trees: names that are not UTF-8 or hold newlines, symlink loops, dangling links,
FIFOs, files larger than their stat says, a tree deeper than Python recurses, and links removed under `--prune`.

Each runs the real command: every problem is one `severity: path:line: message` line, the
rest of the batch is stored, and no traceback ever reaches the user.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS
from tests.drivers import newsgraph

DAY = BUNDLED_NEWS / "2015" / "09" / "3"
REPORT_LINE = re.compile(r"^(error|warning): (.+):(\d+): (.+)$")


def _day_copy(root: Path) -> Path:
    """The bundled day in `root/news`, each file at its canonical place (so no location warnings)."""
    news = root / "news" / "2015" / "09" / "3"
    shutil.copytree(DAY, news)
    return root / "news"


def _event_text(headline: str) -> str:
    return f"### [2015-09-3](/news/2015/09/3/index.md)\n\n# {headline} \n\nA summary.\n"


def _load(db: Path, *args: str) -> tuple[int, list[str], str]:
    """Exit code, the report lines on stderr (each checked to be one problem), and stdout."""
    result = newsgraph("load", "--db", str(db), "--quiet", *args)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    for line in lines:
        assert REPORT_LINE.match(line), f"not one `severity: path:line: message` line: {line!r}"
    return result.returncode, lines, result.stdout


def _stored(db: Path) -> int:
    return len(EventStore(db).documents())


@pytest.mark.slow
def test_a_file_name_that_is_not_utf8_is_one_error_line_and_the_rest_loads(tmp_path: Path) -> None:
    news = _day_copy(tmp_path)
    bad = os.path.join(os.fsencode(news), b"caf\xe9.md")
    with open(bad, "wb") as handle:
        handle.write(_event_text("A cafe whose file name is Latin-1").encode())
    db = tmp_path / "store.json"

    code, lines, stdout = _load(db, str(news))
    assert code == 1  # a file rejected
    assert lines == [f"error: '{news}/caf\\xe9.md':1: the file's name (or its directory's) is not UTF-8: "
                     f"rename it to load it"]
    assert _stored(db) == len(list(DAY.glob("*.md")))
    assert f"{len(list(DAY.glob('*.md')))} loaded, 0 unchanged, 1 rejected" in stdout

    as_json = newsgraph("load", "--db", str(db), "--quiet", "--json", str(news))
    assert [problem["file"] for problem in json.loads(as_json.stdout)["problems"]] == [f"'{news}/caf\\xe9.md'"]


def test_names_with_newlines_are_quoted_so_no_report_line_is_forged(tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    forged = "x.md\nerror: forged.md:1: this line was never reported\nz.md"
    (news / forged).write_text(_event_text("A file named to forge report lines"), encoding="utf-8")

    code, lines, _stdout = _load(tmp_path / "store.json", str(news))
    assert code == 0  # the file loads: only its name is odd
    assert len(lines) == 1 and lines[0].startswith(f"warning: '{news}/x.md\\nerror: forged.md:1: this line was never "
                                                   f"reported\\nz.md':1: file location disagrees")
    assert _stored(tmp_path / "store.json") == 1


def test_symlink_loops_dangling_links_and_fifos_are_warned_about_and_skipped(tmp_path: Path) -> None:
    news = _day_copy(tmp_path)
    (news / "loop-a.md").symlink_to(news / "loop-b.md")
    (news / "loop-b.md").symlink_to(news / "loop-a.md")
    (news / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(news / "pipe.md")  # opened, it would block the load for ever
    (news / "to-pipe.md").symlink_to(news / "pipe.md")
    db = tmp_path / "store.json"

    for _ in range(2):  # and again once the directory's listing is recorded
        code, lines, _stdout = _load(db, str(news))
        assert code == 0
        assert lines == [
            f"warning: {news}/dangling.md:1: dangling symlink (its target does not exist): skipped",
            f"warning: {news}/loop-a.md:1: symlink loop: skipped",
            f"warning: {news}/loop-b.md:1: symlink loop: skipped",
            f"warning: {news}/pipe.md:1: a FIFO, not a markdown file: skipped",
            f"warning: {news}/to-pipe.md:1: a FIFO, not a markdown file: skipped",
        ]
        assert _stored(db) == len(list(DAY.glob("*.md")))


def test_the_size_limit_holds_for_the_bytes_read_not_the_size_the_stat_gives(tmp_path: Path) -> None:
    """A /proc file says 0 bytes and reads 1 KB or more; a file that grows after its stat is read past it the same way."""
    news = tmp_path / "news"
    news.mkdir()
    (news / "proc.md").symlink_to("/proc/self/status")

    code, lines, _stdout = _load(tmp_path / "store.json", "--max-file-bytes", "200", str(news))
    assert code == 1
    assert lines == [f"error: {news}/proc.md:1: file is over the limit of 200 bytes, though its size said 0"]


def test_a_tree_deeper_than_python_recurses_loads(tmp_path: Path) -> None:
    levels = 1_100
    deepest = str(tmp_path / "news")
    os.mkdir(deepest)
    for _ in range(levels):  # os.makedirs would recurse as deep
        deepest += "/d"
        os.mkdir(deepest)
    with open(deepest + "/event.md", "w", encoding="utf-8") as handle:
        handle.write(_event_text("An event a thousand directories down"))
    try:
        code, lines, stdout = _load(tmp_path / "store.json", str(tmp_path / "news"))
        assert (code, len(lines)) == (0, 1) and "file location disagrees" in lines[0]
        assert stdout.startswith("1 loaded, 0 unchanged, 0 rejected")
    finally:  # shutil.rmtree would recurse as deep too
        os.unlink(deepest + "/event.md")
        while deepest != str(tmp_path / "news"):
            os.rmdir(deepest)
            deepest = os.path.dirname(deepest)


@pytest.mark.parametrize("removal", ["link removed", "target removed"])
def test_prune_removes_the_event_of_a_symlink_that_is_gone_whose_target_lies_outside(tmp_path: Path,
                                                                                      removal: str) -> None:
    news, outside = tmp_path / "news", tmp_path / "outside"
    news.mkdir()
    outside.mkdir()
    (outside / "event.md").write_text(_event_text("An event linked in from elsewhere"), encoding="utf-8")
    (news / "event.md").symlink_to(outside / "event.md")
    (news / "kept.md").write_text(_event_text("An event that stays"), encoding="utf-8")
    db = tmp_path / "store.json"
    assert _load(db, "--prune", str(news))[0] == 0
    assert _stored(db) == 2

    (news / "event.md" if removal == "link removed" else outside / "event.md").unlink()
    code, _lines, stdout = _load(db, "--prune", str(news))
    assert code == 0 and stdout.startswith("0 loaded, 1 unchanged, 0 rejected")
    assert ", 1 removed" in stdout
    assert [document["headline"] for document in EventStore(db).documents()] == ["An event that stays"]
