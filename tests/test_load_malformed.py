"""`newsgraph load` over every broken input of tests/fixtures/malformed/ beside good files, in one batch.

Each bad file is rejected, or loaded with its warnings, and every problem is
reported as `path:line: message`; the rest of the batch is stored. Loader-level
checks are made here: bytes that are binary or not UTF-8, a 10 MB file (made at
test time), and two files with the same canonical path in one batch (the second
is rejected, naming the first). For text that decodes, the loader must report
exactly what the parser finds in it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from newsgraph.load import DEFAULT_MAX_FILE_BYTES
from newsgraph.load.finder import find_markdown
from newsgraph.parse import parse_event
from newsgraph.store import EventStore
from tests.conftest import BUNDLED_NEWS, REPO
from tests.drivers import newsgraph

MALFORMED = REPO / "tests" / "fixtures" / "malformed"
GOOD_DAY = ("2015", "09", "5")  # no good file of this day shares a path with a fixture
TEN_MB = 10 * 1024 * 1024
PROBLEM_LINE = re.compile(r"^(error|warning): (.+):(\d+): (.+)$")


def _expected_problems(file: Path, claimed: dict[str, Path]) -> list[tuple[int, str, str]]:
    """(line, severity, message) the loader must report for `file`; records the path it claims in `claimed`."""
    raw = file.read_bytes()
    if len(raw) > DEFAULT_MAX_FILE_BYTES:
        return [(1, "error", f"file is {len(raw):,} bytes, over the limit of {DEFAULT_MAX_FILE_BYTES:,}")]
    if b"\0" in raw:
        return [(raw[: raw.index(b"\0")].count(b"\n") + 1, "error", "binary data (NUL byte), not a markdown file")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return [(raw[: error.start].count(b"\n") + 1, "error", f"invalid UTF-8 at byte {error.start}")]
    result = parse_event(text, str(file))
    problems = [(p.line, p.severity.value, p.message) for p in result.problems]
    if result.event is not None:
        first = claimed.get(result.event.path)
        if first is not None:
            problems.append((1, "error", f"same canonical path as {first}: {result.event.path}"))
        else:
            claimed[result.event.path] = file
    return problems


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A directory with every malformed fixture, good files of one bundled day, and a 10 MB file."""
    root = tmp_path_factory.mktemp("malformed-batch") / "batch"
    shutil.copytree(MALFORMED, root / "malformed")
    shutil.copytree(BUNDLED_NEWS.joinpath(*GOOD_DAY), root / "good")
    huge = root / "huge.md"
    with huge.open("w", encoding="utf-8") as handle:
        handle.write("### [2015-09-5](/news/2015/09/5/index.md)\n\n# A ten megabyte event \n\n")
        while handle.tell() < TEN_MB:
            handle.write("A paragraph that goes on and on, " * 30 + "\n\n")
    binary = sorted(path for path in (root / "malformed").iterdir() if path.suffix != ".md")
    files = sorted(root.rglob("*.md")) + binary  # the loader's order: the directory, then the files named
    return root, files


def test_the_batch_holds_every_kind_of_broken_input(batch: tuple[Path, list[Path]]) -> None:
    _root, files = batch
    names = {file.name for file in files}
    assert {"binary-data.bin", "invalid-utf8.md", "no-headline.md", "impossible-date.md", "duplicate-path-1.md",
            "duplicate-path-2.md", "self-link.md", "deep-nesting.md", "html-everywhere.md", "huge.md"} <= names
    assert (batch[0] / "huge.md").stat().st_size > TEN_MB


@pytest.mark.slow
def test_each_bad_file_is_reported_where_it_is_wrong_and_the_rest_is_stored(
    batch: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    root, files = batch
    binary = [file for file in files if file.suffix != ".md"]
    db = tmp_path / "store.json"
    result = newsgraph("load", "--db", str(db), str(root), *map(str, binary), "--json")
    assert result.returncode == 1, result.stderr  # some files were rejected
    report = json.loads(result.stdout)

    claimed: dict[str, Path] = {}
    expected = {str(file): _expected_problems(file, claimed) for file in files}
    reported: dict[str, list[tuple[int, str, str]]] = {str(file): [] for file in files}
    for problem in report["problems"]:
        reported[problem["file"]].append((problem["line"], problem["severity"], problem["message"]))
    for file in files:
        assert sorted(reported[str(file)]) == sorted(expected[str(file)]), file.name

    rejected = {file for file, problems in expected.items() if any(severity == "error" for _l, severity, _m in problems)}
    assert report["rejected"] == len(rejected)
    stored_files = {document["file"] for document in EventStore(db).documents()}
    assert stored_files == {str(Path(file).resolve()) for file in expected if file not in rejected}
    good = sorted((root / "good").glob("*.md"))
    assert {str(file.resolve()) for file in good} <= stored_files

    by_name = {Path(file).name: problems for file, problems in expected.items()}
    for name in ("binary-data.bin", "invalid-utf8.md", "huge.md", "no-headline.md", "impossible-date.md",
                 "deep-nesting.md", "empty.md", "duplicate-path-2.md"):
        assert any(severity == "error" for _l, severity, _m in by_name[name]), name
    assert "html-everywhere.md" in {Path(f).name for f in stored_files}
    first = root / "malformed" / "duplicate-path-1.md"
    assert any(m.startswith(f"same canonical path as {first}: ") for _l, _s, m in by_name["duplicate-path-2.md"])
    # self-link.md is the same event as duplicate-path-1.md too: its warning, and the duplicate error
    assert any("points to the event itself" in m for _l, _s, m in by_name["self-link.md"])
    assert any(m.startswith(f"same canonical path as {first}: ") for _l, _s, m in by_name["self-link.md"])


@pytest.mark.slow
def test_a_file_with_only_warnings_is_stored_with_them(tmp_path: Path) -> None:
    file = MALFORMED / "self-link.md"
    db = tmp_path / "store.json"
    result = newsgraph("load", "--db", str(db), str(file), "--quiet")
    assert result.returncode == 0, result.stderr
    assert re.search(rf"^warning: {re.escape(str(file))}:\d+: related link points to the event itself, ignored$",
                     result.stderr, re.M)
    assert "1 loaded, 0 unchanged, 0 rejected, 2 warnings" in result.stdout
    assert [document["file"] for document in EventStore(db).documents()] == [str(file.resolve())]


@pytest.mark.slow
def test_the_terminal_report_is_one_path_line_message_per_problem(batch: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, files = batch
    binary = [file for file in files if file.suffix != ".md"]
    result = newsgraph("load", "--db", str(tmp_path / "store.json"), str(root), *map(str, binary), "--quiet")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, result.stderr
    known = {str(file) for file in files}
    for line in lines:
        match = PROBLEM_LINE.match(line)
        assert match, f"not `severity: path:line: message`: {line!r}"
        assert match[2] in known and int(match[3]) >= 1
    assert "Traceback" not in result.stderr
    assert re.search(r"^\d+ loaded, 0 unchanged, \d+ rejected, \d+ warnings, 0 removed → ", result.stdout, re.M)


def test_files_are_found_in_the_order_of_sorting_their_paths(tmp_path: Path) -> None:
    """The scan walks each directory by name; that must be the order `sorted(rglob)` gives, whatever the names."""
    for name in ["a.md", "a-b.md", "a/b.md", "a/a/z.md", "b.md", "B.md", "a b/c.md", "z/y/x.md", "x.md/inner.md",
                 "a/notes.txt", "é.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# x\n", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "a", target_is_directory=True)  # not descended into
    (tmp_path / "c.md").symlink_to(tmp_path / "b.md")  # a symlinked file counts
    expected = sorted(p for p in tmp_path.rglob("*.md") if p.is_file())
    assert [found.name for found in find_markdown([tmp_path])] == [str(p) for p in expected]


def test_a_directory_removed_while_the_scan_goes_on_is_skipped(tmp_path: Path) -> None:
    """Files come as they are found: a directory listed but gone by the time the scan gets to it holds nothing."""
    for name in ["a/first.md", "b/gone.md", "c/last.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# x\n", encoding="utf-8")
    found = find_markdown([tmp_path])
    first = next(found)
    shutil.rmtree(tmp_path / "b")
    assert [first.name, *(f.name for f in found)] == [str(tmp_path / "a/first.md"), str(tmp_path / "c/last.md")]
