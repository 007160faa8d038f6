"""Global object ids: opaque, stable strings that name a type and its key (`Event` + path)."""

from __future__ import annotations

import base64
import binascii

from newsgraph.api.errors import UserInputError


def to_global_id(type_name: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode("ascii").rstrip("=")


def from_global_id(global_id: str) -> tuple[str, str]:
    """(type name, key); UserInputError when the id was not made by `to_global_id`."""
    try:
        decoded = base64.urlsafe_b64decode((global_id + "=" * (-len(global_id) % 4)).encode("ascii")).decode()
    except (binascii.Error, ValueError, UnicodeError):
        raise UserInputError(f"{global_id[:60]!r} is not an id from this API; use an object's `id` field") from None
    type_name, separator, key = decoded.partition(":")
    if not separator:
        raise UserInputError(f"{global_id[:60]!r} is not an id from this API; use an object's `id` field")
    return type_name, key
