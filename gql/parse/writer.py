"""`Event` → markdown in the archive's format: the inverse of the parser.

Text is backslash-escaped so that parsing the output gives back the same event;
the summary is written as the markdown it was read from.
"""

from __future__ import annotations

import re
import string

from newsgraph.parse.model import Event
from newsgraph.parse.slug import day_directory

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def escape_text(text: str) -> str:
    """Backslash-escape every ASCII punctuation character, which CommonMark always allows."""
    return _PUNCTUATION.sub(r"\\\1", text)


def _link_destination(url: str) -> str:
    """Angle brackets keep spaces and parentheses in a URL from ending the link early.

    An `&` that would start an entity (`&amp;`) is backslash-escaped so it stays literal.
    """
    url = _ENTITY_START.sub(r"\\&", url)
    needs_brackets = any(char in url for char in " ()<>")
    return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">" if needs_brackets else url


def render_event(event: Event) -> str:
    """The event as one markdown file of the archive."""
    day = event.date
    lines = [
        f"### [{day.year:04d}-{day.month:02d}-{day.day}]({day_directory(day)}/index.md)",
        "",
        f"# {escape_text(event.headline)} ",
        "",
    ]
    if event.summary_markdown:
        lines += [event.summary_markdown, ""]
    links = [(source.name, source.url) for source in event.sources]
    if event.cover_image:
        links.append(("Cover Image", event.cover_image))
    if links:
        lines += ["### Source:", ""]
        lines += [f"{n}. [{escape_text(name)}]({_link_destination(url)})" for n, (name, url) in enumerate(links, 1)]
        lines.append("")
    if event.related:
        lines += ["### Related:", ""]
        for n, item in enumerate(event.related, 1):
            context = ", ".join(escape_text(tag) for tag in item.context)
            suffix = f" _Context: {context}_" if context else ""
            lines.append(f"{n}. [{escape_text(item.headline)} ]({_link_destination(item.path)}){suffix}")
        lines.append("")
    return "\n".join(lines)
