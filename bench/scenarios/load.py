"""load: `newsgraph load` events/s ÷ bare single-process markdown-it-py parsing; 1% incremental ÷ full.

The incremental load is timed twice: as `newsgraph load` in a fresh process (the
figure of the target), and as `load_files` called in this running process, which
is what a script refreshing its store pays (`Newsgraph.load`, newsgraph.scripting): no
interpreter start, no imports, no exit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import corpus_dir, newsgraph_load, ratio, table
from newsgraph.load import load_files
from newsgraph.load.finder import find_markdown
from newsgraph.load.listings import listings_path
from newsgraph.store import EventStore
from newsgraph.store.manifest import manifest_path

CHANGED_SHARE = 100  # every 100th file changes: 1%


PARSE_CHUNK = 25  # files timed by one side before the other takes its turn


def _parse_rates(files: list[Path], sample: int) -> dict:
    """Files/s of bare markdown-it-py (commonmark preset, read + parse, one process) and of our parser.

    The two take turns, 25 files each, over the same sample, twice (the first pass warms the
    page cache for both): on a shared machine a minute's drift then falls on both alike, which
    timing one whole side after the other does not give (until issue 19 it did).
    """
    from markdown_it import MarkdownIt

    from newsgraph.parse import parse_event

    chosen = files[:: max(1, len(files) // sample)][:sample]
    bare = MarkdownIt("commonmark")
    seconds = {"bare": 0.0, "ours": 0.0}
    for _ in range(2):
        for start in range(0, len(chosen), PARSE_CHUNK):
            chunk = chosen[start:start + PARSE_CHUNK]
            began = time.perf_counter()
            for file in chunk:
                bare.parse(file.read_text(encoding="utf-8"))
            middle = time.perf_counter()
            for file in chunk:
                parse_event(file.read_text(encoding="utf-8"), str(file))
            seconds["bare"] += middle - began
            seconds["ours"] += time.perf_counter() - middle
    timed = 2 * len(chosen)
    return {"sample_files": len(chosen), "bare_files_per_s": timed / seconds["bare"],
            "our_parser_files_per_s": timed / seconds["ours"],
            "parser_vs_bare": ratio(seconds["bare"], seconds["ours"])}


def _touch(file: Path) -> bytes:
    """Change a file's content (a paragraph after the headline) and return its old bytes."""
    raw = file.read_bytes()
    lines = raw.split(b"\n")
    headline = next(number for number, line in enumerate(lines) if line.startswith(b"# "))
    lines[headline + 1:headline + 1] = [b"", b"Updated for the incremental-load benchmark."]
    file.write_bytes(b"\n".join(lines))
    return raw


@contextlib.contextmanager
def _touched(files: list[Path]) -> Iterator[None]:
    """The files changed (`_touch`) for the block, their bytes restored after it."""
    originals = {file: _touch(file) for file in files}
    try:
        yield
    finally:
        for file, raw in originals.items():
            file.write_bytes(raw)


def _remove_store(db: Path) -> None:
    """The store and what a load keeps beside it: the next load is a full load, as into a new store."""
    for path in (db, manifest_path(db), listings_path(db)):
        path.unlink(missing_ok=True)


def run_size(settings, events: int) -> dict:
    corpus = corpus_dir(settings.work, events, settings.seed)
    files = [Path(found.name) for found in find_markdown([corpus])]
    rates = _parse_rates(files, settings.parse_sample)
    db = settings.work / f"load-{events}.json"
    _remove_store(db)
    full_seconds, full = newsgraph_load(corpus, db, settings.work)
    changed = files[::CHANGED_SHARE]
    with _touched(changed):
        incremental_seconds, incremental = newsgraph_load(corpus, db, settings.work)
    noop_seconds, noop = newsgraph_load(corpus, db, settings.work)  # restores the 1% again: nothing else changed
    with _touched(changed):
        started = time.perf_counter()
        in_process = load_files(EventStore(db), [corpus])
        in_process_seconds = time.perf_counter() - started
    newsgraph_load(corpus, db, settings.work)
    _remove_store(db)
    load_rate = events / full_seconds
    return {
        "events": events, **rates,
        "full_seconds": full_seconds, "load_events_per_s": load_rate, "full": full,
        "load_vs_bare_parse": ratio(load_rate, rates["bare_files_per_s"]),
        "changed_files": len(changed), "incremental_seconds": incremental_seconds, "incremental": incremental,
        "incremental_vs_full": ratio(incremental_seconds, full_seconds),
        "restore_seconds": noop_seconds, "restore": noop,
        "in_process_seconds": in_process_seconds, "in_process_loaded": in_process.loaded,
        "in_process_vs_full": ratio(in_process_seconds, full_seconds),
    }


def run(settings) -> dict:
    results = [run_size(settings, events) for events in settings.sizes]
    text = table(
        "load", ["events", "bare parse files/s", "our parser files/s", "parser ÷ bare", "load events/s",
                 "load ÷ bare parse", "full s", "1% changed s", "incremental ÷ full", "1% changed, in process s",
                 "in process ÷ full"],
        [[r["events"], r["bare_files_per_s"], r["our_parser_files_per_s"], r["parser_vs_bare"], r["load_events_per_s"],
          r["load_vs_bare_parse"], r["full_seconds"], r["incremental_seconds"], r["incremental_vs_full"],
          r["in_process_seconds"], r["in_process_vs_full"]]
         for r in results],
    )
    return {"results": results, "table": text}
