"""HTTP caching of GET queries: an ETag from the archive's generation and the request, 304s, Cache-Control, Vary.

The tag is known before anything executes (the same request on the same archive gives
the same answer), so a revalidation costs no execution. It is made from the request's
identity, the key of the response cache (server.response_cache): a stored answer and a
304 agree. A reload changes the generation and so every tag. Answers with errors, and
anything not a GET query, are `no-store`: a browser or CDN must never keep a timeout or
a refusal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

VARY = "Accept"  # the media type answered depends on Accept (CORS adds Origin where it applies)
_ABSENT = (2**64 - 1).to_bytes(8, "big")  # a part that is None: told apart from an empty one


def etag_for(identity: Iterable[str | bytes | None]) -> str:
    """A strong tag of a request's identity (generation first, media type among its parts)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in identity:
        if part is None:
            digest.update(_ABSENT)
            continue
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return f'"{digest.hexdigest()}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this tag (weak comparison, as RFC 9110 asks for GET)."""
    if not if_none_match:
        return False
    candidates = {candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def cacheable_headers(etag: str, max_age: int) -> dict[str, str]:
    control = f"public, max-age={max_age}" if max_age > 0 else "no-cache"
    return {"etag": etag, "cache-control": control, "vary": VARY}


NOT_CACHEABLE = {"cache-control": "no-store"}
