"""Errors a client can act on, and the extension that gives every error an `extensions.code`.

Codes: BAD_USER_INPUT (a value the client must fix: argument, variable, cursor, id),
GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, OPERATION_RESOLUTION_FAILURE, and INTERNAL_SERVER_ERROR for an
unexpected exception, whose message is masked (the original is logged by Strawberry).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSyntaxError
from graphql.validation import ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"  # no operation of that name, or none named among several
MASKED_MESSAGE = "Internal server error; it has been logged."


class UserInputError(GraphQLError):
    """Bad input from the client: the message says what to fix; `extensions.code` is BAD_USER_INPUT."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": BAD_USER_INPUT})


def is_unexpected(error: GraphQLError) -> bool:
    """True for an exception raised inside a resolver that is not a deliberate client-facing error."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def _with_code(error: GraphQLError, code: str, message: str | None = None) -> GraphQLError:
    """A copy of `error` carrying `code` (errors may be cached and shared: never changed in place)."""
    masked = message is not None
    return GraphQLError(
        message if message is not None else error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None if masked else error.original_error,
        extensions={**(error.extensions or {}), "code": code},
    )


class _ValuesOfCorrectType(ValuesOfCorrectTypeRule):
    """The spec rule for literal argument values, its errors marked BAD_USER_INPUT (e.g. a bad date)."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(_with_code(error, BAD_USER_INPUT))


def classify(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: with a code, and masked when it was unexpected."""
    if (error.extensions or {}).get("code"):
        return error
    if isinstance(error, GraphQLSyntaxError):
        return _with_code(error, GRAPHQL_PARSE_FAILED)
    if is_unexpected(error):
        return _with_code(error, INTERNAL_SERVER_ERROR, MASKED_MESSAGE)
    if error.path is not None:  # raised while executing by graphql-core itself
        if error.message.startswith("Argument '"):  # a null variable for a non-null argument, or for `@skip`'s `if`
            return _with_code(error, BAD_USER_INPUT)
        return _with_code(error, INTERNAL_SERVER_ERROR)  # e.g. a resolver's result of the wrong shape: ours to fix
    if error.message.startswith("Variable '$"):
        return _with_code(error, BAD_USER_INPUT)  # variable values that do not fit their types
    return _with_code(error, GRAPHQL_VALIDATION_FAILED)


class ErrorCodes(SchemaExtension):
    """Gives every error of a result an `extensions.code`; masks unexpected exceptions."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            _ValuesOfCorrectType if rule is ValuesOfCorrectTypeRule else rule for rule in context.validation_rules
        )
        yield
        result = context.result
        if isinstance(result, (GraphQLExecutionResult, StrawberryExecutionResult)) and result.errors:
            result.errors = [classify(error) for error in result.errors]
