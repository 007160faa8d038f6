"""HTTP-level failures as GraphQL responses: `{"errors": [{"message", "extensions": {"code"}}]}`, never plain text.

A request refused before any GraphQL ran (bad JSON, no query, a mutation over GET, an
unsupported content type…) gets the status GraphQL over HTTP gives it and a body any
GraphQL client can show, with a code a program can branch on.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from cross_web import HTTPException
from starlette.responses import Response
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from newsgraph.api import (
    BAD_USER_INPUT,
    FORBIDDEN,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    OPERATION_RESOLUTION_FAILURE,
    UNAUTHENTICATED,
)

BAD_REQUEST = "BAD_REQUEST"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
STREAM_REQUIRED = "STREAM_REQUIRED"
NOT_FOUND = "NOT_FOUND"

PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
# Codes of errors raised before execution: parsing, validation, variables, choosing the operation, refusals
NEVER_EXECUTED = {GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, OPERATION_RESOLUTION_FAILURE,
                  UNAUTHENTICATED, FORBIDDEN, PERSISTED_QUERY_NOT_IN_LIST}
_CODE_BY_STATUS = {400: BAD_REQUEST, 404: NOT_FOUND, 405: METHOD_NOT_ALLOWED, 415: UNSUPPORTED_MEDIA_TYPE}
STREAMING_HINT = (
    "subscriptions stream: send `Accept: text/event-stream` (GraphQL over SSE), "
    "`Accept: multipart/mixed;subscriptionSpec=1.0` (multipart), or use a WebSocket (graphql-transport-ws)"
)


class RequestRefused(HTTPException):
    """A request refused before execution, with its GraphQL error code and any headers it needs (Allow, Retry-After)."""

    def __init__(self, status: int, message: str, code: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, message)
        self.code = code
        self.headers = dict(headers or {})


def refusal_of(error: HTTPException, method: str) -> RequestRefused:
    """Strawberry's HTTPException as a RequestRefused: the status GraphQL over HTTP asks for, a code, a clear message."""
    if isinstance(error, RequestRefused):
        return error
    cause = error.__cause__
    if isinstance(cause, InvalidOperationTypeError):
        if cause.operation_type is OperationType.SUBSCRIPTION:
            return RequestRefused(400, f"a subscription cannot be answered with one response: {STREAMING_HINT}",
                                  STREAM_REQUIRED)
        if cause.operation_type is OperationType.MUTATION and method == "GET":
            return RequestRefused(405, "mutations are not allowed over GET: send them with POST", METHOD_NOT_ALLOWED,
                                  {"allow": "POST"})
    if isinstance(cause, CannotGetOperationTypeError):
        return RequestRefused(400, cause.as_http_error_reason(), OPERATION_RESOLUTION_FAILURE)
    headers = {"allow": "GET, POST"} if error.status_code == 405 else {}
    return RequestRefused(error.status_code, error.reason, _CODE_BY_STATUS.get(error.status_code, BAD_REQUEST), headers)


def error_body(message: str, code: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


def refusal_response(refusal: RequestRefused, media_type: str = "application/json") -> Response:
    return Response(error_body(refusal.reason, refusal.code), status_code=refusal.status_code,
                    media_type=media_type, headers={"cache-control": "no-store", **refusal.headers})


def never_executed(result: ExecutionResult) -> bool:
    """Whether a result's errors stopped it before anything executed: no data, and only path-less errors of the
    NEVER_EXECUTED codes (a timeout has no path either, but ran). The spec then wants no `data` entry."""
    return result.data is None and bool(result.errors) and all(
        error.path is None and (error.extensions or {}).get("code") in NEVER_EXECUTED for error in result.errors or ())
