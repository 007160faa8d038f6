"""Finished answers of repeated queries, kept in memory: an identical request costs a lookup, not an execution.

A request's identity is what its answer depends on: the archive's generation, the
document text (after a persisted query's hash is resolved to it), the variables as
canonical JSON (keys sorted), the operation name, and the media type answered. The
caller's token is not part of it: it decides mutations only, never a query's answer.
GET and POST of the same identity share one entry; a GET's ETag is made from the
same identity (server.caching), so a stored answer and a 304 always agree.

Only a single query operation answered over plain HTTP, with no `errors` at all, is
kept (the view decides that); mutations, subscriptions, streams, batches, timeouts
and refusals never are. A reload changes the generation, so older answers are never
found again, and the first request that sees the new generation drops them all, so
dead generations hold no memory. The bound is in bytes (answer, key, and a fixed
overhead per entry), least recently used out first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from starlette.responses import Response
from strawberry.http import GraphQLRequestData

from newsgraph.api import BoundedCache

ENTRY_OVERHEAD = 400  # bytes an entry costs beyond its texts: the key tuple, the answer object, the LRU's links


class AnswerKey(NamedTuple):
    """The identity of a request: equal keys get byte-identical answers."""

    generation: str
    document: str
    variables: bytes  # canonical JSON: sorted keys, no whitespace
    operation_name: str | None
    media_type: str


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """What a finished answer is made of: its bytes, its status and its content type (the headers that matter)."""

    body: bytes
    status: int
    content_type: str

    def response(self, headers: dict[str, str]) -> Response:
        """The answer again, with the caching headers of the request it now answers (GET and POST differ)."""
        return Response(self.body, status_code=self.status, headers={"content-type": self.content_type, **headers})


def answer_key(generation: str, request: Any, media_type: str) -> AnswerKey | None:
    """The identity of a decoded request, or None when it cannot have one: a batch, a stream, no text."""
    if not isinstance(request, GraphQLRequestData) or request.protocol != "http":
        return None
    name = request.operation_name
    if not isinstance(request.query, str) or not (name is None or isinstance(name, str)):
        return None
    try:
        variables = orjson.dumps(request.variables or {}, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # not from a JSON body (orjson reads any number it could write): no identity
        return None
    return AnswerKey(generation, request.query, variables, name, media_type)


def _size(key: AnswerKey, answer: StoredAnswer) -> int:
    return (len(answer.body) + len(key.document) + len(key.variables) + len(key.operation_name or "")
            + len(key.generation) + ENTRY_OVERHEAD)


class ResponseCache:
    """Stored answers of one generation, bounded in bytes, with hit and miss counters; off, it stores nothing.

    Used from the event loop only (the view's lookups and stores run there), so the
    counters need no lock; the LRU has its own anyway.
    """

    def __init__(self, max_bytes: int, enabled: bool = True) -> None:
        self.max_bytes, self.enabled = max_bytes, enabled
        self.hits = self.misses = 0
        self._generation: str | None = None
        self._answers = BoundedCache(max_bytes, _size)

    def follow(self, generation: str) -> None:
        """Drop every answer when the archive's generation changed: none of them can be found again."""
        if generation != self._generation:
            self._generation = generation
            if len(self._answers):
                self._answers = BoundedCache(self.max_bytes, _size)

    def get(self, key: AnswerKey) -> StoredAnswer | None:
        if not self.enabled:
            return None
        answer = self._answers.get(key)
        if answer is not None:
            self.hits += 1
        return answer

    def missed(self) -> None:
        """A query with an identity executed: counted as a miss (mutations and batches are not lookups)."""
        if self.enabled:
            self.misses += 1

    def put(self, key: AnswerKey, answer: StoredAnswer) -> None:
        """Keep an answer, unless a reload came since its request read the generation (it would never be found)."""
        if self.enabled and key.generation == self._generation:
            self._answers.put(key, answer)

    def health(self) -> dict[str, Any]:
        """What `/healthz` says under `responseCache`."""
        return {"enabled": self.enabled, "hits": self.hits, "misses": self.misses, "entries": len(self._answers),
                "bytes": self._answers.held}
