"""The Starlette application: `/graphql` (GraphiQL in a browser), `/healthz`, and the explorer at `/`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from cross_web import HTTPException

from newsgraph.api import ARCHIVE, QueryLimits, build_schema
from newsgraph.api.context import HOLDER, TOKEN
from newsgraph.holder import ArchiveHolder
from newsgraph.http_limits import BodySizeLimit
from newsgraph.store import EventStore

log = logging.getLogger("newsgraph")
STATIC = Path(__file__).parent / "static"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


@dataclass(frozen=True)
class ServerSettings:
    """Everything `newsgraph serve` can configure, with the defaults a local user wants."""

    limits: QueryLimits = QueryLimits()
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_000_000
    reload_interval: float = 1.0  # seconds between checks for a rewritten store; 0 turns it off
    token: str | None = field(default=None, repr=False)  # NEWSGRAPH_TOKEN: mutations need it as a bearer token
    extra: dict[str, Any] = field(default_factory=dict)


class NewsGraphQL(GraphQL):
    """Strawberry's ASGI view, answering from the request's archive snapshot, encoding with orjson."""

    def __init__(self, holder: ArchiveHolder, limits: QueryLimits, token: str | None = None) -> None:
        super().__init__(build_schema(limits), graphql_ide="graphiql", allow_queries_via_get=True)
        self.holder = holder
        self.token = token

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> dict[str, Any]:
        return {"request": request, "response": response, ARCHIVE: self.holder.current(), HOLDER: self.holder,
                TOKEN: self.token}

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.wants_graphql_response = GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")
        return sub_response

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def parse_http_body(self, request: Any) -> Any:
        """Strawberry's parsing, after refusing JSON bodies of a shape it would crash on (500) with 400."""
        if request.method == "POST" and "application/json" in (request.content_type or ""):
            body = self.parse_json(await request.get_body())  # 400 for invalid JSON, as Strawberry does
            if not isinstance(body, (dict, list)):
                raise HTTPException(400, "the request body must be a JSON object (one operation) "
                                         "or an array of them (a batch)")
        return await super().parse_http_body(request)

    def _validate_batch_request(self, request_data: list[Any], protocol: Any) -> None:
        """Strawberry's check, with a message that says the limit, and each operation's shape checked."""
        limit = (self.schema.config.batching_config or {}).get("max_operations")
        if limit is not None and len(request_data) > limit:
            raise HTTPException(400, f"a batch of {len(request_data):,} operations; at most {limit} are allowed")
        for number, operation in enumerate(request_data, 1):
            problem = _operation_shape_problem(operation)
            if problem:
                raise HTTPException(400, f"operation {number} of the batch: {problem}")
        super()._validate_batch_request(request_data, protocol)

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "wants_graphql_response", False):
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
            if isinstance(response_data, dict) and response_data.get("data") is None and not sub_response.status_code:
                response.status_code = 400  # GraphQL over HTTP: a request that never executed
        return response


_OPERATION_MEMBERS = {"query": str, "variables": dict, "operationName": str, "extensions": dict}


def _operation_shape_problem(operation: Any) -> str | None:
    """What is wrong with one operation of a batch, as JSON; None when it has the shape GraphQL over HTTP says."""
    if not isinstance(operation, dict):
        return "must be a JSON object with a `query`"
    for name, kind in _OPERATION_MEMBERS.items():
        value = operation.get(name)
        if value is not None and not isinstance(value, kind):
            return f"`{name}` must be {'a string' if kind is str else 'an object'} or null"
    return None


def create_app(store: EventStore, settings: ServerSettings = ServerSettings()) -> Starlette:
    """The ASGI app over one store; the archive follows the store file when it is rewritten."""
    holder = ArchiveHolder(store)
    graphql = NewsGraphQL(holder, settings.limits, settings.token)

    async def healthz(request: Request) -> JSONResponse:
        archive = holder.current()
        return JSONResponse({"status": "ok", "events": len(archive.events), "loadedAt": holder.loaded_at})

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
            Route("/graphql", graphql, methods=["GET", "POST"]),
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
                allow_headers=["content-type", "authorization"],
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
