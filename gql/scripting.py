"""The Python API for scripts: load files or markdown into a store, query the archive, no server."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from gql.api import ARCHIVE, QueryLimits, build_schema
from gql.archive import Archive
from gql.holder import ArchiveHolder
from gql.loader import LoadOptions, LoadReport, load_files, load_texts
from gql.store import EventStore, default_store_path


class Newsgraph:
    """One store and the archive read from it.

    >>> graph = Newsgraph("data/newsgraph.json")
    >>> graph.load("data/news").rejected
    0
    >>> graph.execute("{ stats { events } }")["data"]["stats"]["events"] > 0
    True
    """

    def __init__(self, db: str | os.PathLike[str] | None = None, limits: QueryLimits = QueryLimits()) -> None:
        self.store = EventStore(Path(db) if db is not None else default_store_path())
        self._holder: ArchiveHolder | None = None
        self._schema = build_schema(limits)

    def load(self, *paths: str | os.PathLike[str], options: LoadOptions = LoadOptions()) -> LoadReport:
        """Load markdown files or directories (recursively) in one atomic write."""
        return load_files(self.store, paths, options)

    def load_markdown(
        self, documents: Mapping[str, str] | Iterable[tuple[str, str]], options: LoadOptions = LoadOptions()
    ) -> LoadReport:
        """Load markdown strings, given as {name: text} or (name, text) pairs; names appear in problems."""
        pairs = documents.items() if isinstance(documents, Mapping) else documents
        return load_texts(self.store, pairs, options)

    @property
    def archive(self) -> Archive:
        """The archive as the store holds it now (rebuilt only when the store file changed)."""
        if self._holder is None:
            self._holder = ArchiveHolder(self.store)
        else:
            self._holder.reload()
        return self._holder.current()

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a GraphQL query and return the response as JSON-ready data: `{"data": ..., "errors": [...]}`."""
        result = self._schema.execute_sync(query, variable_values=variables, context_value={ARCHIVE: self.archive})
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        return response
