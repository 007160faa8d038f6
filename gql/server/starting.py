"""Starting a server: make the store current with the archive directory, then build the app.

`newsgraph serve` passes its settings to the workers through one environment
variable, so that worker processes (gql/server/workers.py, or uvicorn's own) can build
the app from an import string.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from starlette.applications import Starlette

from newsgraph.api import QueryLimits
from newsgraph.api.auth import TOKEN_VARIABLE
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.load import LoadOptions, LoadReport, load_files
from newsgraph.store import EventStore, default_store_path

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
