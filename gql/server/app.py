"""The Starlette application: `/graphql` (GraphiQL in a browser), `/healthz`, Atom feeds under `/feeds/`, and the explorer at `/`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from newsgraph.archive import ArchiveHolder
from newsgraph.server.body_limit import BodySizeLimit
from newsgraph.server.feeds import feed_routes
from newsgraph.server.persisted import PersistedQueries, TrustedDocuments
from newsgraph.server.server_settings import DEFAULT_CORS_HEADERS, ServerSettings
from newsgraph.server.view import NewsGraphQL
from newsgraph.store import EventStore

log = logging.getLogger("newsgraph")
STATIC = Path(__file__).parent.parent / "static"


def create_app(store: EventStore, settings: ServerSettings = ServerSettings()) -> Starlette:
    """The ASGI app over one store; the archive follows the store file when it is rewritten."""
    holder = ArchiveHolder(store, search_ready=True)  # no search waits for the index (issue 19)
    trusted = TrustedDocuments.load(settings.trusted_documents) if settings.trusted_documents else None
    graphql = NewsGraphQL(holder, settings, PersistedQueries(trusted))
    # /healthz: the holder's report, then one key per part of the server that has something to say
    reports: dict[str, Callable[[], dict[str, Any]]] = {"responseCache": graphql.answers.health,
                                                        "engine": graphql.engine_health}

    async def healthz(request: Request) -> JSONResponse:
        # 200 even when degraded: the last good archive is still served
        return JSONResponse({**holder.health(), **{name: report() for name, report in reports.items()}})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        watcher = asyncio.create_task(_follow_store(holder, settings.reload_interval)) if settings.reload_interval else None
        try:
            yield
        finally:
            if watcher:
                watcher.cancel()

    app = Starlette(
        routes=[
            Route("/graphql", graphql),  # every method: the view answers what it does not serve with 405 and Allow
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            *feed_routes(holder, settings.cache_max_age),  # /feeds/*.atom (server.feeds)
            Mount("/", StaticFiles(directory=STATIC, html=True), name="explorer"),
        ],
        middleware=[
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=[*DEFAULT_CORS_HEADERS, *(header.lower() for header in settings.cors_headers)],
                expose_headers=["etag"],
            ),
        ],
        lifespan=lifespan,
    )
    app.state.holder = holder
    return app


async def _follow_store(holder: ArchiveHolder, interval: float) -> None:
    """Poll the store file and rebuild the archive off the event loop when it was replaced."""
    while True:
        await asyncio.sleep(interval)
        if holder.changed():
            try:
                await asyncio.to_thread(holder.reload)
            except Exception:  # a bad store must not stop the server: keep serving the last good archive
                log.exception("reloading the store failed; still serving the previous archive")
