"""Errors a client can act on, and the rule for which errors are masked."""

from __future__ import annotations

from graphql import GraphQLError

BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
MASKED_MESSAGE = "Internal server error; it has been logged."


class UserInputError(GraphQLError):
    """Bad input from the client: the message says what to fix; `extensions.code` is BAD_USER_INPUT."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": BAD_USER_INPUT})


def is_unexpected(error: GraphQLError) -> bool:
    """True for an exception raised inside a resolver that is not a deliberate client-facing error."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)
