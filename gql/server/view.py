"""Strawberry's ASGI view as the clients people use expect it: every transport, JSON errors, APQ, HTTP caching.

- Subscriptions over WebSocket (graphql-transport-ws and graphql-ws, in text frames),
  GraphQL over SSE (`Accept: text/event-stream`, the graphql-sse client) and multipart
  HTTP (`Accept: multipart/mixed;subscriptionSpec=1.0`, Apollo Client); a subscription
  sent as a plain request gets 400 STREAM_REQUIRED.
- Every refusal is a GraphQL response with a code (server.errors), never plain text.
- `Accept: application/graphql-response+json` gets that media type and the GraphQL over
  HTTP status codes: 4xx only for a request that never executed, which has no `data`.
- Persisted queries (server.persisted) fill in the query text before execution.
- A GET query answers with an ETag and Cache-Control, and 304 to a matching If-None-Match.
- A repeated query is answered from the response cache (server.response_cache) before
  Strawberry runs: no parse, no validation, no query thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from typing import Any

import orjson
from cross_web import HTTPException, StarletteRequestAdapter
from graphql import OperationType as GraphQLOperationType
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from newsgraph.api import (
    ACCESS,
    ARCHIVE,
    CHANGES,
    FORBIDDEN,
    REQUEST_DEADLINE,
    UNAUTHENTICATED,
    WRITES,
    build_schema,
)
from newsgraph.archive import ArchiveHolder
from newsgraph.server import caching, streams
from newsgraph.server.auth import CHALLENGE, write_access
from newsgraph.server.errors import (
    BAD_REQUEST,
    PERSISTED_QUERY_NOT_IN_LIST,
    UNSUPPORTED_MEDIA_TYPE,
    RequestRefused,
    never_executed,
    refusal_of,
    refusal_response,
)
from newsgraph.server.executor import QUERY_THREADS, OffLoopStreams, QueryThreads
from newsgraph.server.persisted import PersistedQueries, TrustedOnly
from newsgraph.server.playground import playground_response
from newsgraph.server.response_cache import ResponseCache, StoredAnswer, answer_key
from newsgraph.server.server_settings import ServerSettings
from newsgraph.server.sockets import TextFrames, credentials_in
from newsgraph.server.writes import StoreWrites, watched_directory

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
TRANSPORTS = (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL)
# Under graphql-response+json, the status of a request refused before execution, by its error's code
_STATUS_BY_CODE = {UNAUTHENTICATED: 401, FORBIDDEN: 403, PERSISTED_QUERY_NOT_IN_LIST: 403}
ONE_AT_A_TIME = "one operation at a time"  # context key: the lock a request's operations take turns on
_OPERATION_MEMBERS = {"query": str, "variables": dict, "operationName": str, "extensions": dict}


def wants_graphql_response(request: Request) -> bool:
    return GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "").lower()


def answer_media_type(request: Request) -> str:
    return GRAPHQL_RESPONSE_JSON if wants_graphql_response(request) else "application/json"


class _KeptRequest(StarletteRequestAdapter):
    """Strawberry's request adapter, keeping the request it adapts: its state holds what the view decoded early."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


class NewsGraphQL(GraphQL):
    """Strawberry's view over the holder's current archive, with the transports and HTTP behaviour above."""

    request_adapter_class = _KeptRequest
    websocket_adapter_class = TextFrames
    stream_transport_classes_by_protocol = streams.TRANSPORT_CLASSES

    def __init__(self, holder: ArchiveHolder, settings: ServerSettings, persisted: PersistedQueries) -> None:
        self.persisted = persisted
        trusted = persisted.trusted
        extensions = [lambda: TrustedOnly(trusted)] if trusted is not None else []
        super().__init__(build_schema(settings.limits, extensions), graphql_ide="graphiql", allow_queries_via_get=True,
                         subscription_protocols=TRANSPORTS, allowed_origins=settings.cors_origins)
        self.holder = holder
        self.settings = settings
        self.limits = settings.limits
        self.writes = StoreWrites(holder, watched_directory())  # what the mutations write through
        self.threads = QueryThreads(QUERY_THREADS, settings.max_waiting_queries)
        self.plans = self.schema.plans  # None when graphql-core executes every query (api.internals)
        # queries over WebSocket and SSE run on the threads too
        self.schema = OffLoopStreams(self.schema, self.threads)
        self.max_message_bytes = settings.max_body_bytes  # one WebSocket message, as the HTTP body limit (sockets.py)
        self.answers = ResponseCache(settings.response_cache_bytes, settings.response_cache)

    def engine_health(self) -> dict[str, Any]:
        """What `/healthz` says under `engine`: whether queries run through compiled plans, and how many did."""
        return {"compiledPlans": self.plans is not None, **(self.plans.stats() if self.plans else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self._answer(request)
        except HTTPException as error:
            response = refusal_response(refusal_of(error, request.method), answer_media_type(request))
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        """A 304 for a GET whose ETag the client holds, else a stored answer; otherwise Strawberry's run.

        The request is decoded (persisted queries resolved) here, once: its identity names
        both the ETag and the stored answer, and a hit costs no parse and no query thread.
        """
        if request.method not in ("GET", "POST") or self.should_render_graphql_ide(request):
            return await self.run(request)  # Strawberry's 405, or the playground
        key = answer_key(self.holder.generation, await self._decoded(request), answer_media_type(request))
        if key is None:
            return await self.run(request)
        headers = caching.NOT_CACHEABLE
        if request.method == "GET":
            request.state.etag = etag = caching.etag_for(key)
            headers = caching.cacheable_headers(etag, self.settings.cache_max_age)
            if caching.matches(request.headers.get("if-none-match"), etag):
                return Response(status_code=304, headers=headers)
        self.answers.follow(key.generation)
        stored = self.answers.get(key)
        if stored is not None:
            return stored.response(headers)
        request.state.answer_key = key
        return await self.run(request)

    async def _decoded(self, request: Request) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request's operations as Strawberry's run will take them (parse_http_body finds them kept)."""
        decoded = await self.parse_http_body(self.request_adapter_class(request))
        request.state.decoded = decoded
        return decoded

    def should_render_graphql_ide(self, request: Any) -> bool:
        """The playground for a browser's page load only: a GET asking for HTML with neither query nor persisted hash."""
        params = request.query_params
        return (request.method == "GET" and "text/html" in request.headers.get("accept", "")
                and params.get("query") is None and params.get("extensions") is None)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL with the explorer, every asset served from the package (works offline)."""
        return await playground_response(request)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> dict[str, Any]:
        context = {"request": request, "response": response, ARCHIVE: self.holder.current(), WRITES: self.writes,
                   CHANGES: self.holder.feed, ACCESS: write_access(self.settings.token, request.headers.get("authorization"))}
        if not self.is_websocket_request(request):
            context[ONE_AT_A_TIME] = asyncio.Lock()  # a batch's operations run one after another, on one thread
            if self.limits.query_timeout:
                context[REQUEST_DEADLINE] = time.monotonic() + self.limits.query_timeout  # one budget, batch included
        return context

    async def execute_single(self, request: Request, request_adapter: Any, sub_response: Response, context: Any,
                             root_value: Any, request_data: GraphQLRequestData) -> ExecutionResult:
        """A query runs on a worker thread (server.executor); mutations, and anything unparsable, as Strawberry runs them."""
        if (request_data.query is None or self.schema.operation_type(request_data.query, request_data.operation_name)
                is not GraphQLOperationType.QUERY):
            return await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                                request_data)
        if getattr(request.state, "answer_key", None) is not None:  # a single query: its answer may be stored
            sub_response.answer_key = request.state.answer_key
            self.answers.missed()
        async with context.get(ONE_AT_A_TIME) or contextlib.nullcontext():
            return await self.threads.run(functools.partial(
                self.schema.execute_sync, request_data.query, variable_values=request_data.variables,
                context_value=context, root_value=root_value, operation_name=request_data.operation_name,
                allowed_operation_types={OperationType.QUERY}, operation_extensions=request_data.extensions))

    async def on_ws_connect(self, context: dict[str, Any]) -> UnsetType:
        """A browser cannot set headers on a socket: its token comes in connectionParams (`Authorization`)."""
        credentials = credentials_in(context.get("connection_params"))
        if credentials is not None:
            context[ACCESS] = write_access(self.settings.token, credentials)
        return UNSET  # a plain connection_ack

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.wants_graphql_response = wants_graphql_response(request)
        sub_response.etag = getattr(request.state, "etag", None)
        sub_response.answer_key = None  # set when a single query executes (execute_single)
        return sub_response

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        """orjson's parse: bytes that are not UTF-8 and lone surrogates (`"\\ud800"`) are refused with 400, saying why."""
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise RequestRefused(400, f"the request is not valid JSON: {error}", BAD_REQUEST) from None

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Strawberry's parsing, with each refusal coded, then persisted queries resolved to their text.

        Done once per request: what `_decoded` found is kept on the request's state.
        """
        decoded = getattr(request.request.state, "decoded", None)
        if decoded is not None:
            return decoded
        request = _MediaTypeFolded(request)
        content_type = request.content_type
        if request.method == "POST":
            if "application/json" not in content_type:
                raise RequestRefused(415, "send the request as `Content-Type: application/json` "
                                          "(or use GET with query parameters)", UNSUPPORTED_MEDIA_TYPE)
            body = self.parse_json(await request.get_body())  # 400 for invalid JSON
            if not isinstance(body, (dict, list)):
                raise HTTPException(400, "the request body must be a JSON object (one operation) "
                                         "or an array of them (a batch)")
            if isinstance(body, list):
                self._check_batch(body)  # before Strawberry's own batch checks, as theirs say less
        parsed = await super().parse_http_body(request)
        not_found_status = 404 if wants_graphql_response(request) else 200
        if isinstance(parsed, list):
            return [self.persisted.resolve(operation, not_found_status) for operation in parsed]
        return streams.negotiated(self.persisted.resolve(parsed, not_found_status), request.headers.get("accept", ""),
                                  self.schema.operation_type)

    def _check_batch(self, request_data: list[Any]) -> None:
        """A message that says the batch limit, and each operation's shape checked; Strawberry's checks follow."""
        limit = (self.schema.config.batching_config or {}).get("max_operations")
        if limit is not None and len(request_data) > limit:
            raise HTTPException(400, f"a batch of {len(request_data):,} operations; at most {limit} are allowed")
        for number, operation in enumerate(request_data, 1):
            problem = _operation_shape_problem(operation)
            if problem:
                raise HTTPException(400, f"operation {number} of the batch: {problem}")

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """The spec's result: no `data` entry when the request never executed (errors before execution have no path)."""
        response = process_result(result)
        if never_executed(result):
            del response["data"]
        return response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if len(response.body) > self.settings.max_response_bytes:
            response_data = _too_large(len(response.body), self.settings.max_response_bytes, batch=isinstance(response_data, list))
            response = super().create_response(response_data, sub_response)
        single = isinstance(response_data, dict)
        if sub_response.wants_graphql_response:
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
            if single and "data" not in response_data and not sub_response.status_code:
                code = (response_data["errors"][0].get("extensions") or {}).get("code")
                response.status_code = _STATUS_BY_CODE.get(code, 400)  # a request that never executed
        if _refused_as(UNAUTHENTICATED, response_data):
            response.headers["www-authenticate"] = CHALLENGE
        failed = not single or bool(response_data.get("errors"))
        if sub_response.answer_key is not None and not failed and response.status_code == 200:
            self.answers.put(sub_response.answer_key,
                             StoredAnswer(response.body, response.status_code, response.headers["content-type"]))
        if sub_response.etag and not failed:
            response.headers.update(caching.cacheable_headers(sub_response.etag, self.settings.cache_max_age))
        else:
            response.headers.update(caching.NOT_CACHEABLE)
        return response


RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"


def _refused_as(code: str, response_data: Any) -> bool:
    """Whether an answer (or an answer of a batch) has an error of this code."""
    answers = response_data if isinstance(response_data, list) else [response_data]
    return any((error.get("extensions") or {}).get("code") == code
               for answer in answers if isinstance(answer, dict) for error in answer.get("errors") or ())


def _too_large(size: int, limit: int, batch: bool) -> GraphQLHTTPResponse:
    """What is sent instead of an answer over the size limit: it executed, so `data` is there, null."""
    what = "the batch's answers" if batch else "the answer"
    return {"data": None, "errors": [{
        "message": f"{what} would be {size:,} bytes, over the limit of {limit:,}: ask for fewer items or fields",
        "extensions": {"code": RESPONSE_TOO_LARGE}}]}


class _MediaTypeFolded:
    """A request adapter whose content type is lower-case: media types are case-insensitive (RFC 9110)."""

    def __init__(self, request: Any) -> None:
        self._request = request

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)

    @property
    def content_type(self) -> str:
        return (self._request.content_type or "").lower()


def _operation_shape_problem(operation: Any) -> str | None:
    """What is wrong with one operation of a batch, as JSON; None when it has the shape GraphQL over HTTP says."""
    if not isinstance(operation, dict):
        return "must be a JSON object with a `query`"
    for name, kind in _OPERATION_MEMBERS.items():
        value = operation.get(name)
        if value is not None and not isinstance(value, kind):
            return f"`{name}` must be {'a string' if kind is str else 'an object'} or null"
    return None
