"""Summary markdown → safe HTML: raw HTML is escaped and only http(s) links survive.

Rendering is bounded by a work budget, counted, not timed, so the same summary always
gives the same HTML. markdown-it-py is linear on any input, but its constant is not:
runs of `![`, `[`, `*[` or `[\n` make each bracket re-run the inline rules up to
`maxNesting` (20) levels deep, so a summary made of them, within the loader's file
limit, kept one field of one query busy for many seconds.

- Each call of a markdown-it rule (core, block and inline, including the look-ahead
  calls a link label makes) spends one unit of RENDER_BUDGET.
- A summary of at most MARKDOWN_CHARS characters that renders within the budget comes
  out exactly as markdown-it renders it: every real summary, by orders of magnitude (the
  bundled archive's longest has 184 characters and spends under 100 units).
- One that does not fit the budget comes out as its text: each block (blocks are
  separated by blank lines) escaped in a `<p>`, every word there, no markup.
- A longer summary is rendered block by block while the blocks fit in MARKDOWN_CHARS
  characters and the budget; from the first block that does not, the rest is text.

So a summary costs at most one budget plus a linear split and escape, for any summary
up to the loader's 1,000,000-byte file limit (`python -m bench.resolver_bounds` measures it;
bench/results/history.md has the figures).
Pure: the same text always gives the same HTML; the API caches what it renders
(newsgraph.api.summary_cache).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

_SAFE_SCHEMES = ("http", "https")
RENDER_BUDGET = 60_000  # markdown-it rule calls for one summary: a bound on its time, whatever the text
MARKDOWN_CHARS = 50_000  # a longer summary is rendered block by block, as far as this many characters
_BUDGET = "newsgraph.render_budget"  # key of the units left, in the `env` markdown-it hands to every rule


class RenderBudgetExceeded(Exception):
    """A summary needed more markdown-it rule calls than its budget."""


def _is_web_link(url: str) -> bool:
    try:
        return urlsplit(url.strip()).scheme.lower() in _SAFE_SCHEMES
    except ValueError:  # e.g. `http://[x]/`, an invalid IPv6 host: not a link to render
        return False


def _counted(rule: Callable) -> Callable:
    """`rule`, spending one unit of the render's budget per call (the state's env carries the budget)."""

    def counted(state, *args):  # noqa: ANN001, ANN202 - markdown-it's rule signatures vary by chain
        env = state.env
        left = env[_BUDGET] - 1
        if left < 0:
            raise RenderBudgetExceeded
        env[_BUDGET] = left
        return rule(state, *args)

    counted.__name__ = getattr(rule, "__name__", "rule")
    return counted


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.validateLink = _is_web_link  # type: ignore[method-assign]  # its hook: a link to anything else stays text
    for ruler in (md.core.ruler, md.block.ruler, md.inline.ruler, md.inline.ruler2):
        for rule in ruler.__rules__:
            rule.fn = _counted(rule.fn)
        ruler.__cache__ = None  # compiled chains hold the functions: compile again with the counted ones
    return md


_MARKDOWN = _markdown()


def _render(markdown: str, budget: int) -> str:
    """markdown-it's HTML for `markdown`; raises RenderBudgetExceeded past `budget` rule calls."""
    return _MARKDOWN.render(markdown, {_BUDGET: budget})


def _plain(block: str) -> str:
    """A block as escaped text in a paragraph, as markdown-it would show text without markup."""
    return "<p>" + escapeHtml(block.strip()) + "</p>\n"


def _blocks(markdown: str) -> list[str]:
    """The text cut at blank lines (lines of nothing but whitespace), blank lines dropped."""
    blocks: list[str] = []
    current: list[str] = []
    for line in markdown.split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def render_summary(markdown: str, budget: int = RENDER_BUDGET, max_chars: int = MARKDOWN_CHARS) -> str:
    """HTML for a summary, uncached: markdown-it's own when it fits `max_chars` and `budget`, else see the module."""
    if not markdown:
        return ""
    if len(markdown) <= max_chars:
        try:
            return _render(markdown, budget)
        except RenderBudgetExceeded:  # intricate beyond any real summary: its text, without markup
            return "".join(map(_plain, _blocks(markdown)))
    parts: list[str] = []  # too long to render whole: the blocks that fit, then text from the first that does not
    left, chars = budget, max_chars
    for block in _blocks(markdown):
        if left > 0 and len(block) <= chars:
            chars -= len(block)
            env = {_BUDGET: left}
            try:
                parts.append(_MARKDOWN.render(block, env))
                left = env[_BUDGET]
                continue
            except RenderBudgetExceeded:
                pass
        left = 0
        parts.append(_plain(block))
    return "".join(parts)
