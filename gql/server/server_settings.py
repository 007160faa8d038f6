"""What the app is told: `ServerSettings`, the settings of `newsgraph serve` that reach the app and its view."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from newsgraph.api import QueryLimits
from newsgraph.settings import DEFAULTS

# What browsers may always send cross-origin besides the CORS-safelisted headers: what Apollo Client and urql send
DEFAULT_CORS_HEADERS = ("content-type", "authorization", "apollographql-client-name", "apollographql-client-version",
                        "apollo-require-preflight", "x-apollo-operation-name", "if-none-match")


@dataclass(frozen=True)
class ServerSettings:
    """What the app is told: the settings of `newsgraph serve` that reach it, each named and defaulted as in
    newsgraph.settings (where each is explained), the query limits among them; and `reload_interval`."""

    limits: QueryLimits = QueryLimits()
    cors_origins: tuple[str, ...] = DEFAULTS.cors_origins
    cors_headers: tuple[str, ...] = DEFAULTS.cors_headers  # allowed besides DEFAULT_CORS_HEADERS
    max_body_bytes: int = DEFAULTS.max_body_bytes
    reload_interval: float = 1.0  # seconds between checks for a rewritten store; 0 turns it off
    token: str | None = field(default=DEFAULTS.token, repr=False)  # mutations need it as a bearer token
    cache_max_age: int = DEFAULTS.cache_max_age
    trusted_documents: Path | None = DEFAULTS.trusted_documents
    max_waiting_queries: int = DEFAULTS.max_waiting_queries
    max_response_bytes: int = DEFAULTS.max_response_bytes
    response_cache: bool = DEFAULTS.response_cache
    response_cache_bytes: int = DEFAULTS.response_cache_bytes
