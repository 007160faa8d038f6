"""Atom (RFC 4287) documents of events: pure, no I/O; the routes that serve them are in server.feeds.

The XML is built with the standard library's ElementTree, which escapes every text and
attribute value; archive text never meets a string template. Characters XML 1.0 cannot
carry at all (control characters, lone surrogates) become U+FFFD first, so any archive
gives a well-formed document.

Identity (docs/api.md, Feeds):

- An entry's `id` is a tag URI (RFC 4151) of the event's canonical path,
  `tag:newsgraph,2026:/news/2015/09/3/<slug>.md`: the same whatever host serves it, across
  reloads and restarts, and as long as the event keeps its path. A feed's `id` is made the
  same way from its canonical path (`tag:newsgraph,2026:feeds/tags/germany`). The tagging
  entity `newsgraph,2026` is fixed for good: changing it would show every entry again.
- An event has a day, not a time: `published` and `updated` are that day at 00:00:00Z.
  The feed's `updated` is its newest entry's (the archive's newest day when it has none).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from newsgraph.parse import Event

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
TAG_AUTHORITY = "tag:newsgraph,2026:"  # RFC 4151 tagging entity of every id: never to change
GENERATOR = "newsgraph"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Everything XML 1.0 cannot carry (https://www.w3.org/TR/xml/#charsets), lone surrogates included
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_URI_SAFE = "/:@!$&'()*+,;=-._~?#[]%"  # what a URI may hold as it is; anything else is percent-encoded
_COMPONENT_SAFE = "!'()*"  # what JavaScript's encodeURIComponent leaves as well as quote's `-._~`


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def day_start(date: dt.date) -> dt.datetime:
    """The instant an event's day begins, in UTC: the time Atom's dates give to a day."""
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tag_uri(specific: str) -> str:
    """A tag URI under newsgraph's tagging entity; characters a URI cannot hold are percent-encoded."""
    return TAG_AUTHORITY + quote(specific, safe="/:@!$&'()*+,;=-._~?")


def web_link(url: str) -> str | None:
    """An http(s) URL fit for an `href`: spaces, quotes, controls and the like percent-encoded; None otherwise."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    return quote(url.strip(), safe=_URI_SAFE)


@dataclass(frozen=True)
class ExplorerUrls:
    """Addresses on one server: the explorer's pages (hash routes, as gql/static/app.js reads them) and the feeds."""

    base: str  # scheme://host[/root], no trailing slash

    @staticmethod
    def component(text: str) -> str:
        return quote(text, safe=_COMPONENT_SAFE)

    def event_page(self, path: str) -> str:
        return f"{self.base}/#/event" + "/".join(self.component(part) for part in path.split("/"))

    def tag_page(self, name: str) -> str:
        return f"{self.base}/#/tag/{self.component(name)}"

    def publisher_page(self, domain: str) -> str:
        return f"{self.base}/#/publisher/{self.component(domain)}"

    def search_page(self, text: str) -> str:
        return f"{self.base}/#/search?{urlencode({'q': text})}"

    def timeline_page(self) -> str:
        return f"{self.base}/#/timeline"

    def feed(self, path: str, query: dict[str, str] | None = None) -> str:
        return f"{self.base}{path}" + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True)
class Feed:
    """What a feed document says of itself."""

    id: str
    title: str
    subtitle: str
    self_url: str
    page_url: str  # the explorer's page of the same events (rel="alternate")


@dataclass(frozen=True)
class EntryEvent:
    """One event as an entry needs it: the event, its tags' names, its summary as HTML."""

    event: Event
    tags: Sequence[str]
    summary_html: str


def entry_events(events: Iterable[Event], tag_names: Callable[[str], Sequence[str]],
                 summary_html: Callable[[str], str]) -> list[EntryEvent]:
    return [EntryEvent(event, tag_names(event.path), summary_html(event.summary_markdown) if event.summary_markdown else "")
            for event in events]


def feed_updated(entries: Sequence[EntryEvent], fallback: dt.date | None) -> dt.datetime:
    """The feed's `updated` (and Last-Modified): the newest entry's day, else `fallback`'s, else the epoch."""
    newest = max((entry.event.date for entry in entries), default=fallback)
    return day_start(newest) if newest else EPOCH


def atom_document(feed: Feed, entries: Sequence[EntryEvent], updated: dt.datetime, urls: ExplorerUrls) -> bytes:
    """The feed as UTF-8 XML bytes, with its declaration; entries in the order given."""
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title, type="text")
    _text(root, "subtitle", feed.subtitle, type="text")
    _text(root, "updated", rfc3339(updated))
    _link(root, feed.self_url, rel="self", type="application/atom+xml")
    _link(root, feed.page_url, rel="alternate", type="text/html")
    author = ET.SubElement(root, "author")
    _text(author, "name", GENERATOR)
    _text(root, "generator", GENERATOR)
    for item in entries:
        _entry(root, item, urls)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _entry(parent: ET.Element, item: EntryEvent, urls: ExplorerUrls) -> None:
    event = item.event
    entry = ET.SubElement(parent, "entry")
    _text(entry, "id", tag_uri(event.path))
    _text(entry, "title", event.headline.strip(), type="text")
    day = rfc3339(day_start(event.date))
    _text(entry, "published", day)
    _text(entry, "updated", day)
    _link(entry, urls.event_page(event.path), rel="alternate", type="text/html")
    for source in event.sources:
        href = web_link(source.url)
        if href is not None:
            _link(entry, href, rel="related", title=source.name)
    for name in item.tags:
        ET.SubElement(entry, "category", {"term": xml_text(name), "scheme": urls.tag_page("")})
    if event.summary.strip():
        _text(entry, "summary", event.summary.strip(), type="text")
    if item.summary_html.strip():
        _text(entry, "content", item.summary_html, type="html")  # escaped as text, as type="html" asks


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = xml_text(text)
    return element


def _link(parent: ET.Element, href: str, **attributes: str) -> None:
    ET.SubElement(parent, "link", {"href": xml_text(href), **{k: xml_text(v) for k, v in attributes.items()}})
