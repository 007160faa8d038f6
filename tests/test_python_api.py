"""The Python API a script uses: `from newsgraph import Newsgraph`, a real store file, no server."""

from __future__ import annotations

import threading
from pathlib import Path

from bench.corpus import generate_events, write_archive
from newsgraph import DocumentOutcome, LoadOptions, Newsgraph, Severity
from newsgraph.load.pool import PARALLEL_THRESHOLD, pool_context
from tests.conftest import BUNDLED_NEWS

DAY = BUNDLED_NEWS / "2015" / "09" / "3"
MINE = "### [2015-09-3](/news/2015/09/3/index.md)\n\n# A script wrote this headline \n\nA summary with a [link](https://example.org/a).\n"
MINE_PATH = "/news/2015/09/3/a-script-wrote-this-headline.md"
EVENT = "query($path: String!) { event(path: $path) { headline summary sources { name } } }"


def test_a_script_loads_a_directory_incrementally_and_queries_it_with_variables(tmp_path: Path) -> None:
    graph = Newsgraph(tmp_path / "store.json")
    files = sorted(DAY.glob("*.md"))
    done: list[int] = []
    first = graph.load(DAY, progress=done.append)
    assert (first.loaded, first.rejected, first.unchanged) == (len(files), 0, 0)
    assert sum(done) == len(files)
    second = graph.load(DAY)
    assert (second.loaded, second.unchanged) == (0, len(files))

    stats = graph.execute("{ stats { events dateFrom dateTo } }")
    assert stats == {"data": {"stats": {"events": len(files), "dateFrom": "2015-09-03", "dateTo": "2015-09-03"}}}
    path = next(iter(graph.archive.events))
    result = graph.execute(EVENT, {"path": path})
    assert result["data"]["event"]["headline"] == graph.archive.events[path].headline
    assert "errors" not in result


def test_markdown_strings_give_one_outcome_each_with_their_problems(tmp_path: Path) -> None:
    graph = Newsgraph(tmp_path / "store.json")
    report = graph.load_markdown({"mine.md": MINE, "broken.md": "\n\n# A headline without a day\n"})
    assert (report.loaded, report.rejected) == (1, 1)
    mine, broken = report.documents
    assert isinstance(mine, DocumentOutcome)
    assert mine.name == "mine.md" and mine.path == MINE_PATH
    assert [p.severity for p in mine.problems] == [Severity.WARNING]  # name and canonical path disagree
    assert broken.path is None
    assert [(p.file, p.line, p.severity) for p in broken.problems] == [("broken.md", 1, Severity.ERROR)]
    assert "no day heading" in broken.problems[0].message
    stored = {d["path"]: d for d in graph.store.documents()}
    assert stored[MINE_PATH]["file"] is None  # a string has no file: `load --prune` never removes it

    strict = graph.load_markdown([("mine.md", MINE)], LoadOptions(strict=True))
    assert strict.rejected == 1 and strict.documents[0].path is None
    assert strict.documents[0].problems[0].message.endswith("(--strict)")

    event = graph.execute(EVENT, {"path": MINE_PATH})["data"]["event"]
    assert event == {"headline": "A script wrote this headline", "summary": "A summary with a link.", "sources": []}


def test_errors_come_back_as_data_and_a_script_may_run_mutations_without_a_token(tmp_path: Path) -> None:
    graph = Newsgraph(tmp_path / "store.json")
    bad = graph.execute("query($path: String!) { event(path: $path) { headline } }", {"path": 5})
    assert bad["data"] is None and bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert graph.execute("{ nope }")["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"

    imported = graph.execute(
        "mutation($docs: [ImportDocument!]!) { importEvents(documents: $docs) { path event { path } problems { line } } }",
        {"docs": [{"path": MINE_PATH.lstrip("/"), "markdown": MINE}]},
    )
    assert imported == {"data": {"importEvents": [{"path": MINE_PATH.lstrip("/"), "event": {"path": MINE_PATH}, "problems": []}]}}
    assert graph.execute("{ stats { events } }")["data"]["stats"]["events"] == 1
    deleted = graph.execute("mutation($p: String!) { deleteEvent(path: $p) { deleted } }", {"p": MINE_PATH})
    assert deleted["data"]["deleteEvent"]["deleted"] is True
    assert graph.delete(MINE_PATH) == 0
    assert graph.execute("{ stats { events } }")["data"]["stats"]["events"] == 0


def test_a_second_writer_is_seen_by_the_next_query(tmp_path: Path) -> None:
    reader, writer = Newsgraph(tmp_path / "store.json"), Newsgraph(tmp_path / "store.json")
    assert reader.execute("{ stats { events } }")["data"]["stats"]["events"] == 0
    writer.load_markdown({"mine.md": MINE})
    assert reader.execute("{ stats { events } }")["data"]["stats"]["events"] == 1


def test_a_load_beside_other_threads_parses_in_a_fork_server_pool_while_it_scans(tmp_path: Path) -> None:
    """A script (or a server's watch) loading with threads running may not fork: past the fork server's threshold
    its workers come from a fork server, started mid-scan like forked ones. Every file is stored, edits reload."""
    events = list(generate_events(PARALLEL_THRESHOLD + 100, 7))
    written = write_archive(events, tmp_path / "archive")
    stop = threading.Event()
    bystander = threading.Thread(target=stop.wait, daemon=True)
    bystander.start()
    try:
        assert threading.active_count() > 1 and pool_context().get_start_method() == "forkserver"
        script = Newsgraph(tmp_path / "store.json")
        first = script.load(tmp_path / "archive")
        assert (first.loaded, first.rejected) == (written, 0)
        files = sorted((tmp_path / "archive").rglob("*.md"))
        for file in files[::500]:
            lines = file.read_text(encoding="utf-8").split("\n")
            headline = next(number for number, line in enumerate(lines) if line.startswith("# "))
            lines[headline + 1:headline + 1] = ["", "A summary line added."]
            file.write_text("\n".join(lines), encoding="utf-8")
        again = script.load(tmp_path / "archive")
        assert (again.loaded, again.unchanged) == (len(files[::500]), written - len(files[::500]))
    finally:
        stop.set()
