"""Starting a server: make the store current with the archive directory, then build the app.

`newsgraph serve` passes its settings to the workers through one environment
variable (`Settings.to_json`), so that worker processes (gql/server/workers.py, or
uvicorn's own) can build the app from an import string.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from newsgraph.api import QueryLimits
from newsgraph.load import LoadOptions, LoadReport, load_files
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.settings import Settings
from newsgraph.store import EventStore

SETTINGS_VARIABLE = "NEWSGRAPH_SERVER_SETTINGS"


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
    """The app a uvicorn worker builds from the settings `newsgraph serve` left in the environment
    (one missing there takes its default; the token comes from NEWSGRAPH_TOKEN, never from that JSON)."""
    settings = Settings.from_json(os.environ.get(SETTINGS_VARIABLE, "{}"))
    return create_app(EventStore(settings.db), server_settings(settings))


def server_settings(settings: Settings) -> ServerSettings:
    """The app's settings: each of `ServerSettings` and of its `QueryLimits` is the setting of its name."""
    return ServerSettings(limits=QueryLimits(**settings.values_for(QueryLimits)), **settings.values_for(ServerSettings))
