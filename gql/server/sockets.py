"""WebSocket details every published client relies on, and the limits HTTP has, on a socket too.

Messages go out as text frames. Each message in is checked before the protocol
handler sees it: its size (the HTTP body limit), its JSON (orjson: no lone
surrogates), and its shape (an object with a `type`; a subscribe/start payload with
a string `query`, object `variables` and `extensions`, string `operationName`).
Anything else closes the socket with 4400 and a reason, as graphql-transport-ws
says for an invalid message, instead of an exception in the handler.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import orjson
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonTextMessageReceived, WebSocketDisconnected

INVALID_MESSAGE = 4400
_PAYLOAD_MEMBERS = {"query": (str,), "variables": (dict, type(None)), "operationName": (str, type(None)),
                    "extensions": (dict, type(None))}


def message_problem(message: object) -> str | None:
    """Why a decoded socket message is invalid (a close reason, short), or None."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "a message must be a JSON object with a string `type`"
    if message["type"] not in ("subscribe", "start"):
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return "a subscribe message needs an object `payload`"
    for name, kinds in _PAYLOAD_MEMBERS.items():
        if not isinstance(payload.get(name), kinds):
            return f"payload `{name}` has the wrong type"
    return None


class TextFrames(ASGIWebSocketAdapter):
    """Sends each message as a text frame (graphql-ws, Apollo and Python's gql reject binary frames);
    checks each message in, closing with 4400 on the first invalid one."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        limit: int = self.view.max_message_bytes  # type: ignore[attr-defined]  # our view's (server/view.py)
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if len(text) > limit:  # characters: at least as many bytes
                    await self.close(INVALID_MESSAGE, f"message over the limit of {limit:,} bytes")
                    return
                try:
                    message = orjson.loads(text)
                except orjson.JSONDecodeError:  # closed on both subprotocols (the legacy one would ignore it)
                    await self.close(INVALID_MESSAGE, "a message must be valid JSON (UTF-8, no lone surrogates)")
                    return
                problem = message_problem(message)
                if problem:
                    await self.close(INVALID_MESSAGE, problem)
                    return
                yield message
        except KeyError as error:  # a bytes frame: Starlette's receive_text finds no "text"
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            return

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
