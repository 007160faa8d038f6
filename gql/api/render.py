"""Summary markdown → safe HTML: raw HTML is escaped and only http(s) links survive."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

_SAFE_SCHEMES = ("http", "https")


def _is_web_link(url: str) -> bool:
    return urlsplit(url.strip()).scheme.lower() in _SAFE_SCHEMES


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
_MARKDOWN.validateLink = _is_web_link  # a link to anything else stays literal text


@lru_cache(maxsize=4096)
def summary_html(markdown: str) -> str:
    """HTML for a summary; cached because the same events are rendered again and again."""
    return _MARKDOWN.render(markdown) if markdown else ""
