"""`serve --watch`: reload the store when markdown files under the data directory change.

One watcher runs, in the `serve` process itself (a thread beside uvicorn, or beside
gunicorn's master with --workers N): on each batch of changes to markdown files under
the data directory it loads the directory into the store, with prune. Every worker then
sees the rewritten store, as it would after a `newsgraph load`, and swaps its archive.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from newsgraph.load import LoadOptions, load_files
from newsgraph.server.writes import WATCHED_VARIABLE
from newsgraph.store import EventStore

WATCH_RESTART_DELAY = 1.0  # seconds before a watch that failed is started again


def _markdown_changes() -> Callable[..., bool]:
    """Changes worth a reload: markdown files, and directories added or removed.

    A new directory counts because files written into it before the watch on it is
    armed raise no event of their own: the load that follows scans it whole.

    The store's own files (`.json`, `.lock`) never count, so a store kept inside the
    data directory does not wake the watcher with its own writes.
    """
    from watchfiles import Change, DefaultFilter

    class MarkdownChanges(DefaultFilter):
        def __call__(self, change: Change, path: str) -> bool:
            if not super().__call__(change, path):
                return False
            return path.endswith(".md") or os.path.isdir(path) or (change == Change.deleted and not Path(path).suffix)

    return MarkdownChanges()


def watch_directory(store: EventStore, data: Path, stop: threading.Event, say: Callable[[str], None]) -> None:
    """Until `stop` is set: after each batch of markdown changes under `data`, load it into the store (with prune)."""
    from watchfiles import watch

    caught_up = False
    for changes in watch(data, watch_filter=_markdown_changes(), stop_event=stop, raise_interrupt=False,
                         yield_on_timeout=True, rust_timeout=1_000):
        if not changes and caught_up:
            continue  # a quiet second
        caught_up = True  # the first quiet second: the watch is armed; load once for changes made before it was
        try:
            report = load_files(store, [data], LoadOptions(prune=True))
        except Exception as error:  # a failed load must not end the watch: the store keeps its last good state
            say(f"watch: loading {data} failed: {error}")
            continue
        for problem in report.problems:
            say(f"{problem.severity.value}: {problem}")
        say(f"watch: {len(changes)} change(s) under {data}: {report.loaded} loaded, "
            f"{report.removed} removed, {report.rejected} rejected")


def start_watcher(store: EventStore, data: Path, say: Callable[[str], None]) -> threading.Event:
    """Watch `data` in a daemon thread; set the returned event to stop it.

    Also tells the app, in this process and the workers it starts (through the environment),
    that the files under `data` are the source of its events (newsgraph.server.writes.WATCHED_VARIABLE).
    """
    os.environ[WATCHED_VARIABLE] = os.path.realpath(data)
    stop = threading.Event()
    threading.Thread(
        target=_keep_watching, args=(store, data, stop, say), name="newsgraph-watch", daemon=True
    ).start()
    return stop


def _keep_watching(store: EventStore, data: Path, stop: threading.Event, say: Callable[[str], None]) -> None:
    """`watch_directory` until `stop` is set, started again whenever it fails.

    A watch that died (watchfiles raises on a file name that is not UTF-8, say) would
    leave a server answering, and healthy, that never reloads again. Started again, it
    first loads whatever changed meanwhile.
    """
    while not stop.is_set():
        try:
            watch_directory(store, data, stop, say)
        except Exception as error:
            say(f"watch: watching {data} failed ({type(error).__name__}: {error}); watching again in "
                f"{WATCH_RESTART_DELAY:g} s")
            stop.wait(WATCH_RESTART_DELAY)
