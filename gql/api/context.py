"""What a resolver reads from the request context: the archive snapshot of this request.

Mutations and subscriptions also need the holder that owns the archive (to write
and reload, or to follow its changes) and what the server says about writers.
"""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from newsgraph.api.limits import check_deadline
from newsgraph.archive import Archive

ARCHIVE = "archive"
HOLDER = "holder"  # the app's ArchiveHolder: mutations reload it, subscriptions follow its changes
TOKEN = "token"  # the bearer token mutations need; None or "" leaves mutations disabled
CREDENTIALS = "credentials"  # what the caller sent as `Authorization` (an HTTP header, or a socket's connectionParams)
TRUSTED = "trusted"  # True for an in-process caller (a script with the store at hand): no token needed


def archive_of(info: Info[Any, Any]) -> Archive:
    """The archive the request started with: a reload during the request does not change it.

    A resolver that fans out calls this first (or `limits.check_deadline` itself when
    its object carries the archive), so it is where a query past its time limit
    stops (one clock read, no per-field hook).
    """
    check_deadline()
    return info.context[ARCHIVE]
