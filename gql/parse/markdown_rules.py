"""The parser's markdown-it: faster versions of three pieces of markdown-it-py that give the parser the same reading.

On this archive's files (related links with 150-character paths and headlines whose
punctuation is escaped, as `newsgraph export` writes them) these were more than a third
of the parse. Each does what markdown-it's does, and tests/test_parse_rules.py checks
every Event and problem against markdown-it's own parse (and the helpers against
markdown-it's helpers on generated strings):

- `parse_link_destination`: markdown-it's `parseLinkDestination`, the same result; it
  skips to the next character markdown-it's loop acts on (a space, a control character,
  `\\`, `(` or `)`) instead of stepping over every other character one by one. A
  destination in `<...>` goes to markdown-it's own function.
- `normalize_link`: markdown-it's `normalizeLink`, the same result; its last step,
  percent-encoding, returns its argument when it holds only characters that step leaves as
  they are (ASCII letters and digits and `;/?:@&=+$,-_.!~*'()#`), as it then would, and
  such a link that is a path from the root (`/news/...`, neither protocol nor host) comes
  back as it is without being taken apart and put together again.
- `escape`: markdown-it's escape rule, but an escaped character joins the text around it
  instead of becoming a `text_special` token of its own, which markdown-it's `text_join`
  core rule would only have joined to that text again (the parser turns that rule off: it
  reads text where it needs it). An escaped space stays a token of its own, as
  markdown-it makes it: the newline rule looks back over the text before a line end for
  the spaces of a hard break, and must not find that one.

They change how markdown-it gets to its tokens, not what the parser reads from them:
the parser still takes every link, text and line from markdown-it's tokens.
"""

from __future__ import annotations

import re
import string
from contextlib import suppress
from types import SimpleNamespace

import mdurl
from markdown_it import MarkdownIt, _punycode
from markdown_it.common.utils import unescapeAll
from markdown_it.helpers import parseLinkDestination, parseLinkLabel, parseLinkTitle
from markdown_it.helpers.parse_link_destination import _Result
from markdown_it.rules_inline import StateInline

_MAX_PARENTHESES = 32  # markdown-it's: a destination with more open parentheses is not one
# What markdown-it's loop over a bare destination acts on; it steps over any other character.
_DESTINATION_STOPS = re.compile(r"[\x00-\x20\x7f\\()]")
_KEPT_BY_ENCODE = frozenset(string.ascii_letters + string.digits + mdurl.ENCODE_DEFAULT_CHARS)
_RECODE_HOSTNAME_FOR = ("http:", "https:", "mailto:")  # markdown-it's normalize_url.RECODE_HOSTNAME_FOR
ESCAPABLE = frozenset(string.punctuation)  # markdown-it's escape._ESCAPED: what a backslash escapes


def parse_link_destination(text: str, pos: int, maximum: int) -> _Result:
    """markdown-it's `parseLinkDestination(text, pos, maximum)`, the same result."""
    if pos < len(text) and text[pos] == "<":
        return parseLinkDestination(text, pos, maximum)
    start = pos
    result = _Result()
    level = 0
    end = min(maximum, len(text))  # markdown-it's loop also stops at the end of the text (charCodeAt gives None)
    search = _DESTINATION_STOPS.search
    while pos < end:
        stop = search(text, pos, end)
        if stop is None:
            pos = end
            break
        pos = stop.start()
        char = text[pos]
        if char == "\\":
            if pos + 1 < maximum:
                if text[pos + 1:pos + 2] == " ":
                    break
                pos += 2
            else:
                pos += 1
        elif char == "(":
            level += 1
            if level > _MAX_PARENTHESES:
                return result
            pos += 1
        elif char == ")":
            if level == 0:
                break
            level -= 1
            pos += 1
        else:
            break  # a space or a control character ends the destination
    if start == pos or level != 0:
        return result
    result.str = unescapeAll(text[start:pos])
    result.pos = pos
    result.ok = True
    return result


def _encode(text: str) -> str:
    return text if _KEPT_BY_ENCODE.issuperset(text) else mdurl.encode(text)


def normalize_link(url: str) -> str:
    """markdown-it's `normalize_url.normalizeLink(url)`, the same result (its code, `_encode` for `mdurl.encode`)."""
    if url[:1] == "/" and url[1:2] != "/" and _KEPT_BY_ENCODE.issuperset(url):
        return url  # a path from the root: mdurl.parse finds no protocol or host in it, format puts it back as it was
    parsed = mdurl.parse(url, slashes_denote_host=True)
    if parsed.hostname and (not parsed.protocol or parsed.protocol in _RECODE_HOSTNAME_FOR):
        with suppress(Exception):
            parsed = parsed._replace(hostname=_punycode.to_ascii(parsed.hostname))
    if not parsed.hostname or ":" not in parsed.hostname:
        return _encode(mdurl.format(parsed))
    return mdurl.format(parsed._replace(  # an IPv6 host: each part encoded apart, as markdown-it does
        protocol=parsed.protocol and mdurl.encode(parsed.protocol),
        auth=parsed.auth and mdurl.encode(parsed.auth),
        hostname=mdurl.encode(parsed.hostname),
        pathname=parsed.pathname and mdurl.encode(parsed.pathname),
        search=parsed.search and mdurl.encode(parsed.search),
        hash=parsed.hash and mdurl.encode(parsed.hash),
    ))


def escape(state: StateInline, silent: bool) -> bool:
    """markdown-it's escape rule (rules_inline/escape.py), an escaped character (but a space) kept with the text."""
    pos = state.pos
    maximum = state.posMax
    src = state.src
    if src[pos] != "\\":
        return False
    pos += 1
    if pos >= maximum:  # a backslash that ends the inline text
        return False
    first = src[pos]
    if first == "\n":
        if not silent:
            state.push("hardbreak", "br", 0)
        pos += 1
        while pos < maximum and src[pos] in " \t":  # markdown-it's isStrSpace: the next line's indent
            pos += 1
        state.pos = pos
        return True
    escaped = first
    if "\ud800" <= first <= "\udbff" and pos + 1 < maximum and "\udc00" <= src[pos + 1] <= "\udfff":
        escaped += src[pos + 1]
        pos += 1
    if not silent:
        text = escaped if first in ESCAPABLE else "\\" + escaped
        if first == " ":
            token = state.push("text_special", "", 0)
            token.content, token.markup, token.info = text, "\\" + escaped, "escape"
        else:
            state.append_pending(text)
    state.pos = pos + 1
    return True


class FormatMarkdown(MarkdownIt):
    """A MarkdownIt with the helpers and the escape rule above (this instance's only: markdown-it's stay as they are)."""

    def __init__(self, config: str, options_update: dict[str, object]) -> None:
        super().__init__(config, options_update)
        self.helpers = SimpleNamespace(  # type: ignore[assignment]
            parseLinkDestination=parse_link_destination, parseLinkLabel=parseLinkLabel, parseLinkTitle=parseLinkTitle)
        self.inline.ruler.at("escape", escape)

    def normalizeLink(self, url: str) -> str:  # noqa: N802 - markdown-it's name
        return normalize_link(url)
