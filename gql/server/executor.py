"""Query operations run on worker threads, admitted up to a bound, so the event loop always answers.

A query's resolvers are plain Python: run on the event loop, one heavy query held up
`/healthz`, small queries and sockets for as long as it ran. On a worker thread it
shares the interpreter with the loop, which gets the GIL back every switch interval
(1 ms here), so the loop keeps answering while heavy queries run. At most `max_waiting`
operations are running or waiting at once; past that a request gets 503 SERVER_BUSY
with `Retry-After` instead of a place in an ever-growing queue. Mutations (they await
the store) and subscriptions (they stream) stay on the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from graphql import OperationType as GraphQLOperationType
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from newsgraph.server.errors import RequestRefused, never_executed

SERVER_BUSY = "SERVER_BUSY"
QUERY_THREADS = 8  # threads running queries per process: one heavy request holds one, small queries take another
RETRY_AFTER_SECONDS = 1
SWITCH_INTERVAL = 0.001  # seconds a thread holding the GIL runs before another (the event loop) may take it
T = TypeVar("T")


class ServerBusy(RequestRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(503, f"the server is busy: {limit} query operations are already running or waiting; "
                              f"retry in {RETRY_AFTER_SECONDS} s", SERVER_BUSY,
                         {"retry-after": str(RETRY_AFTER_SECONDS)})


class QueryThreads:
    """A bounded thread pool for query operations, refusing work past `max_waiting` with ServerBusy."""

    def __init__(self, threads: int, max_waiting: int) -> None:
        # The loop waits up to one switch interval for the GIL at each step of a request it serves;
        # shorter than Python's default, /healthz and small queries keep answering quickly beside a heavy query.
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.max_waiting = max_waiting
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="newsgraph-query")
        self._admitted = 0  # changed on the event loop only

    async def run(self, call: Callable[[], T]) -> T:
        if self._admitted >= self.max_waiting:
            raise ServerBusy(self.max_waiting)
        self._admitted += 1
        try:
            context = contextvars.copy_context()  # the request's context variables, in the worker too
            return await asyncio.get_running_loop().run_in_executor(self._pool, context.run, call)
        finally:
            self._admitted -= 1


class OffLoopStreams:
    """The schema, with `stream` running a query on the worker threads: how WebSocket and SSE run operations.

    Everything else is the schema's own. A query's one result is yielded as `stream` would
    (a PreExecutionError when nothing executed, which graphql-transport-ws sends as `error`).
    """

    def __init__(self, schema: Any, threads: QueryThreads) -> None:
        self._schema = schema
        self._threads = threads

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def stream(self, query: str | None, variable_values: dict[str, Any] | None = None,  # noqa: PLR0913
                     context_value: Any = None, root_value: Any = None, operation_name: str | None = None,
                     operation_extensions: dict[str, Any] | None = None,
                     allowed_operation_types: Iterable[OperationType] | None = None) -> AsyncIterator[ExecutionResult]:
        allowed = set(allowed_operation_types or OperationType)
        if (query is None or OperationType.QUERY not in allowed
                or self._schema.operation_type(query, operation_name) is not GraphQLOperationType.QUERY):
            return await self._schema.stream(query, variable_values, context_value, root_value, operation_name,
                                             operation_extensions, allowed_operation_types)
        result = await self._threads.run(functools.partial(
            self._schema.execute_sync, query, variable_values=variable_values, context_value=context_value,
            root_value=root_value, operation_name=operation_name, allowed_operation_types={OperationType.QUERY},
            operation_extensions=operation_extensions))
        if never_executed(result):
            result = PreExecutionError(data=None, errors=result.errors, extensions=result.extensions)
        return _once(result)


async def _once(result: ExecutionResult) -> AsyncGenerator[ExecutionResult, None]:
    yield result
