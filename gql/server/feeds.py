"""Atom feeds of the newest events: of the archive, of a tag, of a publisher, of a search (docs/api.md, Feeds).

    GET /feeds/events.atom
    GET /feeds/tags/{tag name}.atom           any spelling (tags compare case-insensitively), percent-encoded
    GET /feeds/publishers/{domain}.atom       `nytimes.com`; `www.`-like prefixes are dropped as for sources
    GET /feeds/search.atom?q={words}          the search syntax of `search(text:)`; newest matches first

Each takes `?limit=` (1 to MAX_LIMIT, DEFAULT_LIMIT when absent). A feed is read from the
archive's listings as they are kept (all events, a tag's or a publisher's positions, the
search index's matches through `select`), never from a scan. The ETag is made from the
archive's generation and the request (host, feed, key, limit) before anything is read, so
a matching If-None-Match costs no work; Last-Modified is the newest entry's day, and
If-Modified-Since (weighed only without If-None-Match, as RFC 9110 says) is answered 304
when that day is not newer. An unknown tag or publisher is 404, a bad `q` or `limit` 400,
each with one line of plain text saying why, and `no-store`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from newsgraph.api import Criteria, UserInputError, select, summary_html
from newsgraph.archive import Archive, ArchiveHolder, SearchQueryError, parse_query, publisher_domain
from newsgraph.server import caching
from newsgraph.server.atom import (
    MEDIA_TYPE,
    ExplorerUrls,
    Feed,
    atom_document,
    entry_events,
    feed_updated,
    tag_uri,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class FeedRefused(Exception):
    """A request for a feed that cannot be answered: its status and a line saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Scope:
    """Which events a feed holds (`positions`: archive positions, ascending) and what it says of itself."""

    kind: str
    key: str  # canonical within the kind: tag key, domain, search text, "" for every event
    id: str  # what follows newsgraph's tagging entity in the feed's id: made of the kind and the key
    path: str  # the feed's own path on the server
    query: dict[str, str]  # the feed's own query parameters, `limit` aside
    title: str
    subtitle: str
    page: Callable[[ExplorerUrls], str]  # the explorer's page of the same events
    positions: Callable[[], Sequence[int]]  # run off the event loop: a search's may take a while


def feed_routes(holder: ArchiveHolder, cache_max_age: int) -> list[Route]:
    """The routes of every feed, over the holder's current archive."""
    feeds = _Feeds(holder, cache_max_age)
    return [
        Route("/feeds/events.atom", feeds.endpoint(_every_event), methods=["GET"]),
        Route("/feeds/tags/{name:path}.atom", feeds.endpoint(_tag), methods=["GET"]),  # a name may hold a `/`
        Route("/feeds/publishers/{domain}.atom", feeds.endpoint(_publisher), methods=["GET"]),
        Route("/feeds/search.atom", feeds.endpoint(_search), methods=["GET"]),
    ]


# -- the feeds' scopes: cheap (dictionary look-ups), run on the event loop ------------------------------
def _every_event(archive: Archive, request: Request) -> Scope:
    return Scope("events", "", "feeds/events", "/feeds/events.atom", {}, "newsgraph: newest events",
                 "The newest events of the archive, newest first.", ExplorerUrls.timeline_page,
                 lambda: range(len(archive.ascending)))


def _tag(archive: Archive, request: Request) -> Scope:
    name = request.path_params["name"]
    tag = archive.tag(name)
    if tag is None:
        raise FeedRefused(404, f"No event carries the tag {name!r}.")
    return Scope("tag", tag.key, f"feeds/tags/{tag.key}", f"/feeds/tags/{ExplorerUrls.component(tag.name)}.atom", {},
                 f"newsgraph: {tag.name}", f"The newest events tagged {tag.name}, newest first.",
                 lambda urls: urls.tag_page(tag.name), lambda: archive.tag_key_positions(tag.key))


def _publisher(archive: Archive, request: Request) -> Scope:
    given = request.path_params["domain"]
    domain = publisher_domain("http://" + given.strip()) or given
    publisher = archive.publishers.get(domain)
    if publisher is None:
        raise FeedRefused(404, f"No event cites a source at the domain {given!r}.")
    return Scope("publisher", domain, f"feeds/publishers/{domain}", f"/feeds/publishers/{ExplorerUrls.component(domain)}.atom", {},
                 f"newsgraph: {publisher.name} ({domain})", f"The newest events citing {publisher.name} ({domain}), newest first.",
                 lambda urls: urls.publisher_page(domain), lambda: archive.publisher_positions(domain))


def _search(archive: Archive, request: Request) -> Scope:
    text = request.query_params.get("q")
    if text is None or not text.strip():
        raise FeedRefused(400, "q is missing: give the words to search for, e.g. /feeds/search.atom?q=migrants")
    try:
        parse_query(text)  # refused here, before any ETag: a text the search cannot take
    except SearchQueryError as error:
        raise FeedRefused(400, f"q cannot be searched: {error}") from None

    def positions() -> Sequence[int]:
        try:
            return select(archive, Criteria(text=text)).positions
        except UserInputError as error:
            raise FeedRefused(400, f"q cannot be searched: {error.message}") from None

    return Scope("search", text, f"feeds/search?q={text}", "/feeds/search.atom", {"q": text}, f"newsgraph: “{text}”",
                 f"The newest events matching “{text}”, newest first.", lambda urls: urls.search_page(text), positions)


def _limit(request: Request) -> int:
    given = request.query_params.get("limit")
    if given is None:
        return DEFAULT_LIMIT
    # a digit string too long for int() (over 4,300 digits) is refused like any other out-of-range limit
    if not (given.isascii() and given.isdigit()) or len(given) > 9 or not 1 <= int(given) <= MAX_LIMIT:
        raise FeedRefused(400, f"limit must be a whole number from 1 to {MAX_LIMIT}; got {given[:40]!r}")
    return int(given)


class _Feeds:
    def __init__(self, holder: ArchiveHolder, cache_max_age: int) -> None:
        self.holder = holder
        self.cache_max_age = cache_max_age

    def endpoint(self, scope_of: Callable[[Archive, Request], Scope]) -> Callable[[Request], object]:
        async def serve(request: Request) -> Response:
            return await self.serve(request, scope_of)

        return serve

    async def serve(self, request: Request, scope_of: Callable[[Archive, Request], Scope]) -> Response:
        # the generation before the archive: a swap in between gives newer events under an older tag
        # (revalidated next time), never older events under the newer tag
        generation = self.holder.generation
        archive = self.holder.current()
        try:
            limit = _limit(request)
            scope = scope_of(archive, request)
        except FeedRefused as refused:
            return _refusal(refused)
        urls = ExplorerUrls(str(request.base_url).rstrip("/"))
        etag = caching.etag_for(("atom", generation, urls.base, scope.kind, scope.key, str(limit)))
        headers = _cache_headers(etag, self.cache_max_age)
        if_none_match = request.headers.get("if-none-match")
        if caching.matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        since = None if if_none_match else _http_date(request.headers.get("if-modified-since"))
        try:
            updated, document = await run_in_threadpool(_build, archive, scope, limit, urls, since)
        except FeedRefused as refused:
            return _refusal(refused)
        headers["last-modified"] = format_datetime(updated, usegmt=True)
        if document is None:
            return Response(status_code=304, headers=headers)
        return Response(document, media_type=MEDIA_TYPE, headers=headers)


def _build(archive: Archive, scope: Scope, limit: int, urls: ExplorerUrls,
           since: dt.datetime | None) -> tuple[dt.datetime, bytes | None]:
    """(the feed's `updated`, its document); no document when it was not modified since `since`."""
    positions = scope.positions()
    newest = positions[max(0, len(positions) - limit):]
    events = [archive.events[archive.ascending[position]] for position in reversed(newest)]
    tags = archive.tags

    def tag_names(path: str) -> list[str]:
        return [tags[key].name for key in archive.event_tags.get(path, ())]

    entries = entry_events(events, tag_names, summary_html)
    updated = feed_updated(entries, archive.dates[-1] if archive.dates else None)
    if since is not None and updated <= since:
        return updated, None
    query = {**scope.query, **({"limit": str(limit)} if limit != DEFAULT_LIMIT else {})}
    feed = Feed(tag_uri(scope.id), scope.title, scope.subtitle, urls.feed(scope.path, query), scope.page(urls))
    return updated, atom_document(feed, entries, updated, urls)


def _cache_headers(etag: str, max_age: int) -> dict[str, str]:
    headers = caching.cacheable_headers(etag, max_age)
    del headers["vary"]  # one representation whatever the Accept
    return headers


def _http_date(value: str | None) -> dt.datetime | None:
    """An If-Modified-Since date; None when absent or not a date (the header is then ignored, as RFC 9110 says)."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _refusal(refused: FeedRefused) -> Response:
    return PlainTextResponse(refused.message + "\n", status_code=refused.status, headers=caching.NOT_CACHEABLE)
