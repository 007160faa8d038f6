"""Live updates: `eventsChanged` tells a client what each reload of the archive added, changed or removed.

Served at `/graphql` over WebSocket (graphql-transport-ws, or the older graphql-ws), GraphQL over
Server-Sent Events and multipart HTTP (the server picks the transport from the request).
A reload happens when the store file is rewritten: by `newsgraph load` in another
process, by `serve --watch`, or by a mutation. The server puts its archive's change feed
in the context (CHANGES).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.types import Info

from newsgraph.api.context import CHANGES, Changes


@strawberry.type(description="What one reload of the archive changed: canonical paths, each list sorted.")
class EventsChanged:
    added: list[str] = strawberry.field(description="Events that were not in the archive before.")
    changed: list[str] = strawberry.field(description="Events still at the same path whose content changed.")
    removed: list[str] = strawberry.field(description="Events no longer in the archive.")


@strawberry.type(description="Live updates, over WebSocket (graphql-transport-ws, graphql-ws), Server-Sent Events or multipart HTTP.")
class Subscription:
    @strawberry.subscription(
        description="One message each time the archive is reloaded with different events; nothing is sent on "
        "subscribing. A client that falls far behind (hundreds of changes unread) has its subscription completed: "
        "subscribe again and re-read."
    )
    async def events_changed(self, info: Info[Any, Any]) -> AsyncGenerator[EventsChanged, None]:
        changes: Changes = info.context[CHANGES]
        async for change in changes.subscribe():
            yield EventsChanged(added=list(change.added), changed=list(change.changed), removed=list(change.removed))
