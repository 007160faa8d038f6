"""Starting a server: make the store current with the archive directory, then build the app.

`newsgraph serve` passes its settings to the workers through one environment
variable, so that uvicorn can start several worker processes from an import string.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from starlette.applications import Starlette

from gql.api import QueryLimits
from gql.app import ServerSettings, create_app
from gql.loader import LoadOptions, LoadReport, load_files
from gql.store import EventStore, default_store_path

SETTINGS_VARIABLE = "NEWSGRAPH_SERVER_SETTINGS"


def newest_mtime(directory: Path) -> float:
    """The latest modification time of the directory or anything below it."""
    newest = directory.stat().st_mtime
    for root, _dirs, files in os.walk(directory):
        for name in [root, *(os.path.join(root, f) for f in files)]:
            newest = max(newest, os.stat(name).st_mtime)
    return newest


def refresh_store(store: EventStore, data: Path) -> LoadReport | None:
    """Load `data` into the store when the store is missing or older than it; None when it was current."""
    if not data.is_dir():
        return None
    if store.path.exists() and store.path.stat().st_mtime >= newest_mtime(data):
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
    )
    server = ServerSettings(
        limits=limits,
        cors_origins=tuple(settings.get("cors_origins", ())),
        max_body_bytes=settings.get("max_body_bytes", ServerSettings.max_body_bytes),
    )
    return create_app(EventStore(settings.get("db") or default_store_path()), server)
