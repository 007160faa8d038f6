"""Who may write: mutations are off unless the server has a token, then need `Authorization: Bearer <token>`.

The server puts what the caller sent under `CREDENTIALS` in the context: the HTTP
header, or on a WebSocket the `Authorization` of the connection's connectionParams
(a browser cannot set headers on a socket).

The check is a schema extension on the whole operation, not a resolver guard: a
refused mutation never executes, and its one error carries no path (the operation
was refused, no field failed). Codes: UNAUTHENTICATED when no usable credentials
were sent, FORBIDDEN when they are wrong or mutations are disabled.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from newsgraph.api.context import CREDENTIALS, TOKEN, TRUSTED

TOKEN_VARIABLE = "NEWSGRAPH_TOKEN"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"


def _refusal(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def mutation_refusal(context: Mapping[str, Any]) -> GraphQLError | None:
    """Why this request may not run a mutation, or None when it may."""
    if context.get(TRUSTED):
        return None
    token: str | None = context.get(TOKEN)
    if not token:
        return _refusal(FORBIDDEN, f"mutations are disabled: set {TOKEN_VARIABLE} on the server to enable them")
    header = context.get(CREDENTIALS) or ""
    if not header.strip():
        return _refusal(UNAUTHENTICATED, "mutations need a token: send the header `Authorization: Bearer <token>`")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return _refusal(UNAUTHENTICATED, "the Authorization header must read `Bearer <token>`")
    if not hmac.compare_digest(credentials.strip().encode("utf-8"), token.encode("utf-8")):
        return _refusal(FORBIDDEN, f"wrong token: send the one the server was given in {TOKEN_VARIABLE}")
    return None


class MutationAuth(SchemaExtension):
    """Refuses a mutation operation before it executes unless `mutation_refusal` finds nothing wrong."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is OperationType.MUTATION:
            refusal = mutation_refusal(context.context if isinstance(context.context, Mapping) else {})
            if refusal is not None:
                context.result = GraphQLExecutionResult(data=None, errors=[refusal])
                response = context.context.get("response") if isinstance(context.context, Mapping) else None
                if isinstance(response, Response) and refusal.extensions["code"] == UNAUTHENTICATED:
                    response.headers["www-authenticate"] = 'Bearer realm="newsgraph"'
        yield
