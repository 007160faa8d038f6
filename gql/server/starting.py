"""Starting a server: make the store current with the archive directory, then build the app.

`newsgraph serve` passes its settings to the workers through one environment
variable, so that worker processes (gql/server/workers.py, or uvicorn's own) can build
the app from an import string.

`serve --watch` runs one watcher, in the `serve` process itself (a thread beside
uvicorn, or beside its worker supervisor with --workers N): on each batch of changes
to markdown files under the data directory it loads the directory into the store,
with prune. Every worker then sees the rewritten store, as it would after a
`newsgraph load`, and swaps its archive.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette

from newsgraph.api import QueryLimits
from newsgraph.api.auth import TOKEN_VARIABLE
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.archive.holder import WATCHED_VARIABLE
from newsgraph.load import LoadOptions, LoadReport, load_files
from newsgraph.store import EventStore, default_store_path

SETTINGS_VARIABLE = "NEWSGRAPH_SERVER_SETTINGS"
WATCH_RESTART_DELAY = 1.0  # seconds before a watch that failed is started again


def newest_mtime(directory: Path) -> float:
    """The latest modification time of the directory or anything below it.

    Walked with a stack, not recursion (a tree thousands of directories deep), and
    entries that cannot be stat-ed (dangling links, a file removed meanwhile) are skipped:
    the load that may follow reports them.
    """
    newest = directory.stat().st_mtime
    pending = [os.fspath(directory)]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                newest = max(newest, entry.stat().st_mtime)
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
            except OSError:
                continue
    return newest


def refresh_store(store: EventStore, data: Path) -> LoadReport | None:
    """Load `data` into the store when the store is missing or older than it; None when it was current.

    A current store that cannot be served (damaged, empty, not a store) is StoreCorrupt here,
    one `error:` line from `serve`, rather than a traceback from each worker.
    """
    if not data.is_dir() or (store.path.exists() and store.path.stat().st_mtime >= newest_mtime(data)):
        store.check_servable()
        return None
    return load_files(store, [data], LoadOptions(prune=True))


def app_from_environment() -> Starlette:
    """The app a uvicorn worker builds from the settings `newsgraph serve` left in the environment."""
    settings = json.loads(os.environ.get(SETTINGS_VARIABLE, "{}"))
    limits = QueryLimits(
        max_depth=settings.get("max_depth", QueryLimits.max_depth),
        max_aliases=settings.get("max_aliases", QueryLimits.max_aliases),
        max_tokens=settings.get("max_tokens", QueryLimits.max_tokens),
        max_batch=settings.get("max_batch", QueryLimits.max_batch),
        introspection=settings.get("introspection", True),
        max_cost=settings.get("max_cost", QueryLimits.max_cost) or None,  # 0 turns the limit off
        query_timeout=settings.get("query_timeout", QueryLimits.query_timeout) or None,
    )
    server = ServerSettings(
        limits=limits,
        cors_origins=tuple(settings.get("cors_origins", ())),
        cors_headers=(*ServerSettings.cors_headers, *settings.get("cors_headers", ())),
        cache_max_age=settings.get("cache_max_age", ServerSettings.cache_max_age),
        max_waiting_queries=settings.get("max_waiting_queries", ServerSettings.max_waiting_queries),
        max_response_bytes=settings.get("max_response_bytes", ServerSettings.max_response_bytes),
        trusted_documents=Path(settings["trusted_documents"]) if settings.get("trusted_documents") else None,
        max_body_bytes=settings.get("max_body_bytes", ServerSettings.max_body_bytes),
        token=os.environ.get(TOKEN_VARIABLE) or None,  # from the environment, never the settings JSON
    )
    return create_app(EventStore(settings.get("db") or default_store_path()), server)


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
    that the files under `data` are the source of its events (newsgraph.archive.holder.WATCHED_VARIABLE).
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
