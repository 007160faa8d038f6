"""The Starlette application: `/graphql` (GraphiQL in a browser), `/healthz`, and the explorer at `/`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from newsgraph.api import QueryLimits
from newsgraph.archive import ArchiveHolder
from newsgraph.server.body_limit import BodySizeLimit
from newsgraph.server.executor import QueryThreads
from newsgraph.server.persisted import PersistedQueries, TrustedDocuments
from newsgraph.server.view import NewsGraphQL
from newsgraph.settings import DEFAULTS
from newsgraph.store import EventStore

log = logging.getLogger("newsgraph")
QUERY_THREADS = 8  # threads running queries per process: one heavy request holds one, small queries take another
STATIC = Path(__file__).parent.parent / "static"
# What browsers may always send cross-origin besides the CORS-safelisted headers: what Apollo Client and urql send
DEFAULT_CORS_HEADERS = ("content-type", "authorization", "apollographql-client-name", "apollographql-client-version",
                        "apollo-require-preflight", "x-apollo-operation-name", "if-none-match")


@dataclass(frozen=True)
class ServerSettings:
    """What the app is told: the settings of `newsgraph serve` that reach it, each named and defaulted as in
    newsgraph.settings (where each is explained), the query limits among them; and `reload_interval`."""

    limits: QueryLimits = QueryLimits()
    cors_origins: tuple[str, ...] = DEFAULTS.cors_origins
    cors_headers: tuple[str, ...] = DEFAULTS.cors_headers  # allowed besides DEFAULT_CORS_HEADERS
    max_body_bytes: int = DEFAULTS.max_body_bytes
    reload_interval: float = 1.0  # seconds between checks for a rewritten store; 0 turns it off
    token: str | None = field(default=DEFAULTS.token, repr=False)  # mutations need it as a bearer token
    cache_max_age: int = DEFAULTS.cache_max_age
    trusted_documents: Path | None = DEFAULTS.trusted_documents
    max_waiting_queries: int = DEFAULTS.max_waiting_queries
    max_response_bytes: int = DEFAULTS.max_response_bytes


def create_app(store: EventStore, settings: ServerSettings = ServerSettings()) -> Starlette:
    """The ASGI app over one store; the archive follows the store file when it is rewritten."""
    holder = ArchiveHolder(store)
    trusted = TrustedDocuments.load(settings.trusted_documents) if settings.trusted_documents else None
    graphql = NewsGraphQL(holder, settings.limits, token=settings.token, persisted=PersistedQueries(trusted),
                          cors_origins=settings.cors_origins, cache_max_age=settings.cache_max_age,
                          threads=QueryThreads(QUERY_THREADS, settings.max_waiting_queries),
                          max_message_bytes=settings.max_body_bytes, max_response_bytes=settings.max_response_bytes)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse(holder.health())  # 200 even when degraded: the last good archive is still served

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
