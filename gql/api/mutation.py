"""Scripted loading over HTTP: import markdown documents, delete events.

Writes go through the same store as `newsgraph load` (one atomic write under the
writer lock per request), then the app's holder reloads before the mutation
returns, so the answer, and every request after it, reads the new archive. Who may
call these is decided before execution, in `newsgraph.api.auth`.

Under `serve --watch` the markdown files under the watched directory are the source
of the events read from them: the next reload would bring back a deleted one, and
put the file's content back over an imported one. So neither mutation changes such
an event while its file is there: `deleteEvent` fails with WATCHED_FILE, and an
imported document at its path is rejected with an error naming the file.
"""

from __future__ import annotations

import asyncio
import os
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from newsgraph.api.context import ARCHIVE, HOLDER
from newsgraph.api.types import Event
from newsgraph.load.finder import shown_name
from newsgraph.archive.holder import ArchiveHolder
from newsgraph.load import LoadOptions, LoadReport, load_texts
from newsgraph.parse import Problem as ParseProblem
from newsgraph.parse import Severity
from newsgraph.store import EventStore, StoreCorrupt, StoreError

STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
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


def _store_failure(error: Exception) -> GraphQLError:
    return GraphQLError(f"the store cannot be written now: {error}", extensions={"code": STORE_UNAVAILABLE})


def _holder(info: Info[Any, Any]) -> ArchiveHolder:
    return info.context[HOLDER]


async def _write_then_reload(info: Info[Any, Any], write: Any, *args: Any) -> Any:
    """Run a store write and the reload after it off the event loop; the request then reads the new archive."""
    holder = _holder(info)

    def work() -> Any:
        outcome = write(holder.store, *args)
        holder.reload()
        return outcome

    try:
        outcome = await asyncio.to_thread(work)
    except (StoreError, StoreCorrupt) as error:
        raise _store_failure(error) from None
    info.context[ARCHIVE] = holder.current()  # fields below this mutation read the archive that holds the write
    return outcome


def _watched_sources(store: EventStore, watched: str | None) -> dict[str, str]:
    """Canonical path → file of the stored events read from files under the watched directory (none unwatched).

    Called under the writer lock, so no load changes them before the write that follows.
    """
    if watched is None:
        return {}
    prefix = watched.rstrip(os.sep) + os.sep
    return {entry.path: entry.file for entry in store.entries() if entry.file and entry.file.startswith(prefix)}


def _source_refusal(sources: dict[str, str], path: str) -> str | None:
    """Why a mutation may not change the event at `path` (its watched file is there), or None."""
    file = sources.get(path)
    if file is None or not os.path.exists(file):  # a file gone: the next reload removes its event anyway
        return None
    return (f"{path} is read from {shown_name(file)}, which this server watches (serve --watch) and reloads: "
            f"change or delete that file instead")


def _import(store: EventStore, pairs: list[tuple[str, str]], options: LoadOptions, watched: str | None) -> LoadReport:
    with store.writing():
        sources = _watched_sources(store, watched)
        return load_texts(store, pairs, options, refused=lambda path: _source_refusal(sources, path))


def _delete(store: EventStore, path: str, watched: str | None) -> bool:
    with store.writing():
        refusal = _source_refusal(_watched_sources(store, watched), path)
        if refusal:
            raise GraphQLError(f"not deleted: {refusal}", extensions={"code": WATCHED_FILE})
        return store.write((), [path]).removed > 0


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
        report: LoadReport = await _write_then_reload(info, _import, pairs, LoadOptions(strict=strict),
                                                      _holder(info).watched)
        archive = info.context[ARCHIVE]
        results = []
        for outcome in report.documents:
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
        deleted = await _write_then_reload(info, _delete, path, _holder(info).watched)
        return DeleteResult(path=path, deleted=deleted)
