"""What the HTTP and WebSocket server adds around the GraphQL API: error bodies, persisted queries, caching, sockets.

What other rooms may use is listed in `__all__`, each name imported on first use (module
`__getattr__`), so a script that only needs the writer (newsgraph.scripting) does not pay
for Starlette, uvicorn and the view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsgraph.lazy import lazy_exports

_EXPORTS = {
    "SETTINGS_VARIABLE": "newsgraph.server.starting",
    "ServerSettings": "newsgraph.server.server_settings",
    "StoreWrites": "newsgraph.server.writes",
    "TimedRequests": "newsgraph.server.timeouts",
    "TrustedDocuments": "newsgraph.server.persisted",
    "create_app": "newsgraph.server.app",
    "refresh_store": "newsgraph.server.starting",
    "reserve_port": "newsgraph.server.workers",
    "spreads_connections": "newsgraph.server.workers",
    "start_watcher": "newsgraph.server.watch",
    "supervise": "newsgraph.server.workers",
    "watched_directory": "newsgraph.server.writes",
}

__all__ = [
    "SETTINGS_VARIABLE",
    "ServerSettings",
    "StoreWrites",
    "TimedRequests",
    "TrustedDocuments",
    "create_app",
    "refresh_store",
    "reserve_port",
    "spreads_connections",
    "start_watcher",
    "supervise",
    "watched_directory",
]

if TYPE_CHECKING:
    from newsgraph.server.app import create_app
    from newsgraph.server.persisted import TrustedDocuments
    from newsgraph.server.server_settings import ServerSettings
    from newsgraph.server.starting import SETTINGS_VARIABLE, refresh_store
    from newsgraph.server.timeouts import TimedRequests
    from newsgraph.server.watch import start_watcher
    from newsgraph.server.workers import reserve_port, spreads_connections, supervise
    from newsgraph.server.writes import StoreWrites, watched_directory


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
