"""Slow clients: a request's headers must arrive within HEADER_SECONDS, its body within BODY_SECONDS, and a
response must be read within WRITE_SECONDS of being written.

uvicorn times out idle keep-alive connections but not a request that trickles in: a
few sockets sending one header byte now and then held their connections open for as
long as they liked (slowloris). This protocol arms a timer when a request begins and again when its
headers are in, and answers 408 and closes the connection when it fires. WebSocket
upgrades and requests whose body has arrived are not timed (the application's own
limits apply there). A response still unread WRITE_SECONDS after it was written is
dropped with the connection: asyncio would otherwise keep it in memory for as long
as the client keeps the connection open without reading.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_SECONDS = 10.0
BODY_SECONDS = 30.0
WRITE_SECONDS = 10.0
_BODY = b'{"errors":[{"message":"the request did not arrive in time","extensions":{"code":"REQUEST_TIMEOUT"}}]}'
REQUEST_TIMEOUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
                   b"content-length: %d\r\n\r\n%s" % (len(_BODY), _BODY))


class TimedRequests(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on the headers and the body of each request."""

    _read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEADER_SECONDS)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(HEADER_SECONDS)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(BODY_SECONDS)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.transport.get_write_buffer_size():
            self.loop.call_later(WRITE_SECONDS, self._drop_if_unread)

    def _drop_if_unread(self) -> None:
        if self.transport.get_write_buffer_size():
            self.transport.abort()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _too_slow(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            if self.cycle is None or not self.cycle.response_started:
                self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()
