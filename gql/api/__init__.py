"""The GraphQL API: Strawberry types and resolvers over the in-memory archive.

What other rooms may use: the schema and its limits; the context's keys and what the
server puts under them (a writer, the change feed, the caller's write access); the error
codes a server needs to tell refusals apart; the bounded cache; and, for the server's Atom
feeds, a listing's selection (`select`, `Criteria`, `UserInputError` for a text it refuses)
and the summary HTML.
"""

from newsgraph.api.auth import FORBIDDEN, GRANTED, UNAUTHENTICATED, WriteAccess
from newsgraph.api.bounded_cache import BoundedCache
from newsgraph.api.context import ACCESS, ARCHIVE, CHANGES, WRITES, Changes, ImportOutcome, WriteFailed, Writes
from newsgraph.api.errors import (
    BAD_USER_INPUT,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    OPERATION_RESOLUTION_FAILURE,
    UserInputError,
)
from newsgraph.api.limits import REQUEST_DEADLINE
from newsgraph.api.mutation import STORE_UNAVAILABLE, WATCHED_FILE
from newsgraph.api.schema import QueryLimits, build_schema
from newsgraph.api.selection import Criteria, select
from newsgraph.api.summary_cache import summary_html

__all__ = [
    "ACCESS",
    "ARCHIVE",
    "BAD_USER_INPUT",
    "CHANGES",
    "FORBIDDEN",
    "GRANTED",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "OPERATION_RESOLUTION_FAILURE",
    "REQUEST_DEADLINE",
    "STORE_UNAVAILABLE",
    "UNAUTHENTICATED",
    "WATCHED_FILE",
    "WRITES",
    "BoundedCache",
    "Changes",
    "Criteria",
    "ImportOutcome",
    "QueryLimits",
    "UserInputError",
    "WriteAccess",
    "WriteFailed",
    "Writes",
    "build_schema",
    "select",
    "summary_html",
]
