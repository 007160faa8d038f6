"""The store file's JSON layout: slices of documents on lines of their own, so a store of any size decodes.

TinyDB keeps every table in one JSON object: `{"events": {"1": {...}, ...}, "meta": {...}}`.
orjson refuses to decode a document of 2 GiB or more in one call (a million events
make ~2.6 GB), and the standard library's decoder is several times slower. So the
store is written with a line break after every CHUNK documents, which keeps it one
valid JSON object (TinyDB's own JSONStorage, `json.load` and `jq` still read it):

    {
    "events":{
    "1":{...},"2":{...},…,"10000":{...},
    "10001":{...},…
    },
    "meta":{
    "1":{"schema_version":1}
    }
    }

A file orjson can take is decoded whole (fastest, whatever its layout); a larger
one a line at a time, each line one `orjson.loads` far below the limit (a line
over MAX_LINE_BYTES is split when written), without holding the file in memory.
A large file in another layout (say, written by TinyDB itself) falls back to the
standard library's decoder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import IO, Any

import orjson

CHUNK = 10_000  # documents per line
MAX_LINE_BYTES = 256 * 2**20  # a line of larger documents is split in two, until it fits
ORJSON_MAX_BYTES = 2**31 - 1  # orjson.loads fails on more ("Not enough memory to allocate buffer")

_OPEN = b"{\n"
_CLOSE_LINES = (b"}\n", b"}")  # the file's last line, with or without its newline
_TABLE_HEAD_END = b":{\n"
_TABLE_ENDS = (b"},\n", b"}\n")


class LayoutError(ValueError):
    """The file is not a JSON store (the message says where)."""


def encode_store(data: dict[str, dict[str, Any]]) -> Iterator[bytes]:
    """The store as pieces of bytes in the sliced layout (written one after the other, they are the file)."""
    yield _OPEN
    names = list(data)
    for position, name in enumerate(names):
        table = data[name]
        if not isinstance(table, dict):
            raise TypeError(f"table {name!r} is not an object of documents")
        yield orjson.dumps(str(name)) + _TABLE_HEAD_END
        keys = list(table)
        for start in range(0, len(keys), CHUNK):
            last = start + CHUNK >= len(keys)
            yield _encode_slice(table, keys[start:start + CHUNK]) + (b"\n" if last else b",\n")
        yield _TABLE_ENDS[0] if position < len(names) - 1 else _TABLE_ENDS[1]
    yield _CLOSE_LINES[0]


def _encode_slice(table: dict[str, Any], keys: Sequence[str]) -> bytes:
    """`"id":{...},"id":{...}` for the keys: one line, or lines of at most MAX_LINE_BYTES each."""
    encoded = orjson.dumps({str(key): table[key] for key in keys})[1:-1]
    if len(encoded) <= MAX_LINE_BYTES or len(keys) == 1:
        return encoded
    half = len(keys) // 2
    return _encode_slice(table, keys[:half]) + b",\n" + _encode_slice(table, keys[half:])


def decode_store(handle: IO[bytes], size: int) -> Any:
    """The decoded JSON of a store file of `size` bytes open for reading (None when it is empty).

    LayoutError when it is not JSON.
    """
    if size <= ORJSON_MAX_BYTES:
        return _decode_whole(handle.read())
    first = handle.readline()
    if first != _OPEN:
        return _decode_whole(first + handle.read())
    data: dict[str, dict[str, Any]] = {}
    table: dict[str, Any] | None = None
    for number, line in enumerate(handle, start=2):
        if table is not None:
            if line in _TABLE_ENDS:
                table = None
            else:
                table.update(_decode_line(b"{" + line.rstrip().removesuffix(b",") + b"}", number))
            continue
        if line in _CLOSE_LINES:
            return data
        if not line.endswith(_TABLE_HEAD_END):
            raise LayoutError(f"line {number}: expected a table name or the closing brace")
        name = _decode_line(line[: -len(_TABLE_HEAD_END)], number)
        if not isinstance(name, str):
            raise LayoutError(f"line {number}: a table name is not a JSON string")
        table = data[name] = {}
    raise LayoutError("the file ends before its closing brace (truncated)")


def _decode_line(raw: bytes, number: int) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise LayoutError(f"line {number}: {error}") from None


def _decode_whole(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        if len(raw) > ORJSON_MAX_BYTES:
            return json.loads(raw)
        return orjson.loads(raw)
    except ValueError as error:  # both decoders' errors are ValueErrors
        raise LayoutError(str(error)) from None
