"""Who may write: mutations are off unless the server has a token, then need `Authorization: Bearer <token>`.

The view gives each request the verdict `write_access` finds for what the caller sent:
the HTTP header, or on a WebSocket the `Authorization` of the connection's connectionParams
(a browser cannot set headers on a socket; server.sockets' `credentials_in`). The API only
reads that verdict (newsgraph.api's WriteAccess) and refuses a mutation with its code and
message; the view adds `WWW-Authenticate` to an HTTP answer refused as UNAUTHENTICATED.
"""

from __future__ import annotations

import hmac

from newsgraph.api import FORBIDDEN, GRANTED, UNAUTHENTICATED, WriteAccess
from newsgraph.settings import spec

TOKEN_VARIABLE = spec("token").env  # NEWSGRAPH_TOKEN, named once in newsgraph.settings
CHALLENGE = 'Bearer realm="newsgraph"'  # the WWW-Authenticate of an UNAUTHENTICATED answer


def write_access(token: str | None, authorization: str | None) -> WriteAccess:
    """Whether a caller who sent this `Authorization` may run mutations on a server with this token, or why not."""
    if not token:
        return WriteAccess(FORBIDDEN, f"mutations are disabled: set {TOKEN_VARIABLE} on the server to enable them")
    header = (authorization or "").strip()
    if not header:
        return WriteAccess(UNAUTHENTICATED, "mutations need a token: send the header `Authorization: Bearer <token>`")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return WriteAccess(UNAUTHENTICATED, "the Authorization header must read `Bearer <token>`")
    if not hmac.compare_digest(credentials.strip().encode("utf-8"), token.encode("utf-8")):
        return WriteAccess(FORBIDDEN, f"wrong token: send the one the server was given in {TOKEN_VARIABLE}")
    return GRANTED
