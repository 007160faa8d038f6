"""Parsing: markdown text → `Event` records, and a summary's markdown → safe HTML (pure; no I/O)."""

from newsgraph.parse.model import Event, ParseResult, Problem, RelatedItem, Severity, Source
from newsgraph.parse.outline import LinkLine, Outline, SourceLine, outline_event, rewrite_related_links
from newsgraph.parse.parser import ParseLimits, parse_event
from newsgraph.parse.slug import canonical_path, date_from_path, slug_from_path, slugify
from newsgraph.parse.summary_html import render_summary
from newsgraph.parse.writer import render_event

__all__ = [
    "Event",
    "LinkLine",
    "Outline",
    "ParseLimits",
    "ParseResult",
    "Problem",
    "RelatedItem",
    "Severity",
    "Source",
    "SourceLine",
    "canonical_path",
    "date_from_path",
    "outline_event",
    "parse_event",
    "render_event",
    "render_summary",
    "rewrite_related_links",
    "slug_from_path",
    "slugify",
]
