"""WebSocket details every published client relies on: text frames, and credentials in connectionParams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected


class TextFrames(ASGIWebSocketAdapter):
    """Sends each message as a text frame: graphql-ws, Apollo and Python's gql reject binary frames (JSON as bytes)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


def credentials_in(connection_params: Any) -> str | None:
    """The `Authorization` a client put in its connectionParams (any case of the key), as an HTTP header would hold it.

    A bare `token` or `authToken` (what many examples send) counts as a bearer token.
    """
    if not isinstance(connection_params, Mapping):
        return None
    by_key = {key.lower(): value for key, value in connection_params.items() if isinstance(key, str)}
    headers = by_key.get("headers")
    if isinstance(headers, Mapping):  # some clients nest their headers
        by_key = {**{key.lower(): value for key, value in headers.items() if isinstance(key, str)}, **by_key}
    authorization = by_key.get("authorization")
    if isinstance(authorization, str):
        return authorization
    token = by_key.get("token") or by_key.get("authtoken")
    return f"Bearer {token}" if isinstance(token, str) else None
