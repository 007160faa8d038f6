"""HTTP caching of GET queries: an ETag from the archive's generation and the request, 304s, Cache-Control, Vary.

The tag is known before anything executes (the same request on the same archive gives
the same answer), so a revalidation costs no execution. A reload changes the
generation and so every tag. Answers with errors, and anything not a GET query, are
`no-store`: a browser or CDN must never keep a timeout or a refusal.
"""

from __future__ import annotations

import hashlib

VARY = "Accept"  # the media type answered depends on Accept (CORS adds Origin where it applies)


def etag_for(generation: str, query_string: bytes, media_type: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in (generation.encode(), query_string, media_type.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
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
