"""ASGI middleware that refuses request bodies over a size limit with 413, before any parsing.

The limit on bytes (`--max-body-bytes`), before GraphQL sees the request; what a query
may cost is newsgraph.api.limits (values in `QueryLimits`), what a file may hold `ParseLimits`.

A client that writes its whole body before reading (Python's urllib, curl without
`Expect`) would see a connection reset instead of the 413 if the server closed while
it was still sending. So, as nginx's lingering close does, the rest of the body is
read and dropped first, up to DRAIN_BYTES and DRAIN_SECONDS; past those the
connection is closed anyway.
"""

from __future__ import annotations

import asyncio
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 10.0


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Counts body bytes as they arrive (Content-Length can lie or be absent) and answers 413 past the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _drain(receive)
            await self._refuse(send)
            return
        received = 0
        started = False
        finished = False

        async def counting_receive() -> Message:
            nonlocal received, finished
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                finished = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                if not finished:
                    await _drain(receive)
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps(
            {"errors": [{"message": f"request body is over the limit of {self.max_bytes:,} bytes",
                         "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}
        )
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive) -> None:
    """Read and drop what is left of the request body, within DRAIN_BYTES and DRAIN_SECONDS."""
    ends = time.monotonic() + DRAIN_SECONDS
    drained = 0
    while drained < DRAIN_BYTES:
        try:
            message = await asyncio.wait_for(receive(), timeout=max(0.0, ends - time.monotonic()))
        except TimeoutError:
            return
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
