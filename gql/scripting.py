"""The Python API for scripts: load files or markdown into a store, query the archive, no server.

Writes take the same file lock and atomic replacement as `newsgraph load`, so a
script may run while a server answers from the same store: the server picks the
change up on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Coroutine, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

from graphql import GraphQLError, OperationType, get_operation_ast, parse

from newsgraph.api import ACCESS, ARCHIVE, GRANTED, WRITES, QueryLimits, build_schema
from newsgraph.archive import Archive, ArchiveHolder
from newsgraph.load import LoadOptions, LoadReport, load_files, load_texts
from newsgraph.server import StoreWrites, watched_directory
from newsgraph.store import EventStore, default_store_path, export_jsonl, export_markdown

__all__ = ["Newsgraph"]

T = TypeVar("T")


class Newsgraph:
    """One store and the archive read from it.

    >>> graph = Newsgraph("data/newsgraph.json")
    >>> graph.load("data/news").rejected
    0
    >>> graph.execute("{ stats { events } }")["data"]["stats"]["events"] > 0
    True

    `execute` runs mutations too (`importEvents`, `deleteEvent`): a script holds the
    store already, so no token is asked for.
    """

    def __init__(self, db: str | os.PathLike[str] | None = None, limits: QueryLimits = QueryLimits()) -> None:
        self.store = EventStore(Path(db) if db is not None else default_store_path())
        self._holder: ArchiveHolder | None = None
        self._writes: StoreWrites | None = None  # what `execute`'s mutations write through, as a server's do
        self._schema = build_schema(limits)

    def load(
        self,
        *paths: str | os.PathLike[str],
        options: LoadOptions = LoadOptions(),
        progress: Callable[[int], None] = lambda done: None,
    ) -> LoadReport:
        """Load markdown files or directories (recursively) in one atomic write.

        Files whose bytes are unchanged since they were stored are not parsed again;
        `LoadOptions(prune=True)` removes events whose file is gone from a loaded
        directory, `LoadOptions(strict=True)` rejects files with warnings. `progress`
        is called with the number of files just done.
        """
        return load_files(self.store, paths, options, lambda total: contextlib.nullcontext(progress))

    def load_markdown(
        self, documents: Mapping[str, str] | Iterable[tuple[str, str]], options: LoadOptions = LoadOptions()
    ) -> LoadReport:
        """Load markdown strings, given as {name: text} or (name, text) pairs, in one atomic write.

        Names appear in problems; `report.documents` tells, per pair, the canonical path
        it was stored at (None when rejected) and its own problems.
        """
        pairs = documents.items() if isinstance(documents, Mapping) else documents
        return load_texts(self.store, pairs, options)

    def delete(self, *paths: str) -> int:
        """Remove the events at these canonical paths; how many there were."""
        return self.store.write((), paths).removed

    def export(self, out: str | os.PathLike[str], format: Literal["md", "jsonl"] = "md") -> int:  # noqa: A002
        """Write the stored events as markdown files under the directory `out` or as JSON lines to the file `out`."""
        events = self.archive.events.values()
        if format == "md":
            return export_markdown(events, Path(out))
        with open(out, "w", encoding="utf-8") as stream:
            return export_jsonl(events, stream)

    @property
    def archive(self) -> Archive:
        """The archive as the store holds it now (rebuilt only when the store file changed)."""
        if self._holder is None:
            self._holder = ArchiveHolder(self.store)
            self._writes = StoreWrites(self._holder, watched_directory())
        else:
            self._holder.reload()
        return self._holder.current()

    def execute(
        self, query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
    ) -> dict[str, Any]:
        """Run a GraphQL operation and return the response as JSON-ready data: `{"data": ..., "errors": [...]}`."""
        context = {ARCHIVE: self.archive, WRITES: self._writes, ACCESS: GRANTED}  # a script may write: no token
        if _is_mutation(query, operation_name):  # mutation resolvers are async: they write off the event loop
            result = _run(self._schema.execute(query, variables, context, operation_name=operation_name))
        else:
            result = self._schema.execute_sync(
                query, variable_values=variables, context_value=context, operation_name=operation_name
            )
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        return response


def _is_mutation(query: str, operation_name: str | None) -> bool:
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return False  # execute_sync reports the syntax error as usual
    return operation is not None and operation.operation is OperationType.MUTATION


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, also when the caller is inside an event loop (a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
