"""Who may write: a mutation runs only for a caller the server found allowed to write.

The server decides (newsgraph.server's `write_access`: its token against the
`Authorization` the caller sent, as an HTTP header or in a WebSocket's connectionParams)
and puts the verdict, a `WriteAccess`, under ACCESS in the context; a script's own
context grants it. This room only reads that verdict: no header, no token.

The check is a schema extension on the whole operation, not a resolver guard: a
refused mutation never executes, and its one error carries no path (the operation
was refused, no field failed). Codes: UNAUTHENTICATED when no usable credentials
were sent, FORBIDDEN when they are wrong or mutations are disabled. (Over HTTP the
server adds `WWW-Authenticate` to an UNAUTHENTICATED answer.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from newsgraph.api.context import ACCESS

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"


@dataclass(frozen=True)
class WriteAccess:
    """The server's verdict on a caller: allowed to write (`code` None), or the error code and message saying why not."""

    code: str | None = None
    message: str = ""


GRANTED = WriteAccess()
NO_VERDICT = WriteAccess(FORBIDDEN, "mutations are disabled: this request was given no write access")


def refusal_of(access: object) -> GraphQLError | None:
    """The error refusing a mutation to a caller with this access (none in the context: refused), or None."""
    if not isinstance(access, WriteAccess):
        access = NO_VERDICT
    if access.code is None:
        return None
    return GraphQLError(access.message, extensions={"code": access.code})


class MutationAuth(SchemaExtension):
    """Refuses a mutation operation before it executes unless the context's WriteAccess allows it."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is OperationType.MUTATION:
            values = context.context if isinstance(context.context, Mapping) else {}
            refusal = refusal_of(values.get(ACCESS))
            if refusal is not None:
                context.result = GraphQLExecutionResult(data=None, errors=[refusal])
        yield
