"""What a resolver reads from the request context: the archive snapshot of this request."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from gql.archive import Archive

ARCHIVE = "archive"


def archive_of(info: Info[Any, Any]) -> Archive:
    """The archive the request started with: a reload during the request does not change it."""
    return info.context[ARCHIVE]
