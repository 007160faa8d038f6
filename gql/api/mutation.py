"""Scripted loading over HTTP: import markdown documents, delete events.

The resolvers write through the `Writes` the server put in the context (newsgraph.api.context):
one atomic store write under the writer lock per request, as `newsgraph load` makes, after
which the archive is reloaded before the mutation returns, so the answer, and every request
after it, reads the new archive. This room parses no markdown and opens no file. Who may call
these is decided before execution (newsgraph.api.auth).

Under `serve --watch` the markdown files under the watched directory are the source
of the events read from them: the next reload would bring back a deleted one, and
put the file's content back over an imported one. So the server's writer changes no
such event while its file is there: `deleteEvent` fails with WATCHED_FILE, and an
imported document at its path is rejected with an error naming the file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from newsgraph.api.context import ARCHIVE, WRITES, WriteFailed, Writes
from newsgraph.api.types import Event
from newsgraph.parse import Problem as ParseProblem
from newsgraph.parse import Severity

T = TypeVar("T")
# The codes of the WriteFailed a writer raises:
STORE_UNAVAILABLE = "STORE_UNAVAILABLE"  # the store cannot be written now (another writer holds it, it is damaged…)
WATCHED_FILE = "WATCHED_FILE"  # the event comes from a file `serve --watch` follows: change the file instead

ProblemSeverity = strawberry.enum(
    Severity, name="ProblemSeverity", description="ERROR rejects the document; WARNING is reported and it is stored."
)


@strawberry.input(description="One markdown document, as one file of the archive would hold it.")
class ImportDocument:
    path: str = strawberry.field(
        description="A file-like name (e.g. `news/2015/09/3/slug.md`) that problems are reported against; "
        "where the event is stored comes from its content (day + headline)."
    )
    markdown: str = strawberry.field(description="The document's text, in the archive's markdown format.")


@strawberry.type(description="Something wrong with an imported document, located like a compiler message.")
class Problem:
    file: str = strawberry.field(description="The `path` the document was sent with.")
    line: int = strawberry.field(description="Line of the document, from 1.")
    message: str = strawberry.field(description="What is wrong, and so what to fix.")
    severity: ProblemSeverity = strawberry.field(description="Whether the document was rejected for it.")

    @classmethod
    def of(cls, problem: ParseProblem) -> Problem:
        return cls(file=problem.file, line=problem.line, message=problem.message, severity=problem.severity)


@strawberry.type(description="What became of one imported document: the stored event, or why it was rejected.")
class ImportResult:
    path: str = strawberry.field(description="The `path` the document was sent with.")
    event: Event | None = strawberry.field(description="The event as now stored; null when the document was rejected.")
    problems: list[Problem] = strawberry.field(description="Errors (rejected) and warnings (stored anyway).")


@strawberry.type(description="The outcome of `deleteEvent`.")
class DeleteResult:
    path: str = strawberry.field(description="The canonical path asked for.")
    deleted: bool = strawberry.field(description="False when no event had that path.")


async def _written(info: Info[Any, Any], write: Callable[[Writes], T]) -> T:
    """Make one write through the context's writer, off the event loop; the request then reads the new archive."""
    writes: Writes = info.context[WRITES]
    try:
        outcome = await asyncio.to_thread(write, writes)
    except WriteFailed as error:
        raise GraphQLError(str(error), extensions={"code": error.code}) from None
    info.context[ARCHIVE] = writes.current()  # fields below this mutation read the archive that holds the write
    return outcome


@strawberry.type(description="Writes; off unless the server was given NEWSGRAPH_TOKEN, then `Authorization: Bearer <token>`.")
class Mutation:
    @strawberry.mutation(
        description="Parse markdown documents and store the accepted ones in one write (an event already stored "
        "at the same canonical path is replaced). Returns one result per document, in order."
    )
    async def import_events(
        self,
        info: Info[Any, Any],
        documents: Annotated[list[ImportDocument], strawberry.argument(description="The documents to import.")],
        strict: Annotated[bool, strawberry.argument(description="Reject documents with warnings too.")] = False,
    ) -> list[ImportResult]:
        pairs = [(document.path, document.markdown) for document in documents]
        outcomes = await _written(info, lambda writes: writes.import_texts(pairs, strict))
        archive = info.context[ARCHIVE]
        results = []
        for outcome in outcomes:
            record = archive.events.get(outcome.path) if outcome.path else None
            results.append(
                ImportResult(
                    path=outcome.name,
                    event=Event(record=record, archive=archive) if record else None,
                    problems=[Problem.of(problem) for problem in outcome.problems],
                )
            )
        return results

    @strawberry.mutation(description="Remove the event at a canonical path from the store.")
    async def delete_event(
        self,
        info: Info[Any, Any],
        path: Annotated[str, strawberry.argument(description="Canonical path `/news/YYYY/MM/D/slug.md`.")],
    ) -> DeleteResult:
        deleted = await _written(info, lambda writes: writes.delete(path))
        return DeleteResult(path=path, deleted=deleted)
