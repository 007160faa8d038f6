"""The store file's JSON layout: one document per line, so a store of any size decodes and a few documents can be rewritten alone.

TinyDB keeps every table in one JSON object: `{"events": {"1": {...}, ...}, "meta": {...}}`.
The store writes it with a line break after every document, which keeps it one valid
JSON object (TinyDB's own JSONStorage, `json.load` and `jq` still read it):

    {
    "events":{
    "1":{...},
    "2":{...}
    },
    "meta":{
    "1":{"schema_version":1}
    }
    }

Why lines: orjson refuses to decode 2 GiB or more in one call (a store of a million
events is larger) and the standard library's decoder is several times slower, so a larger file
is decoded in groups of lines (GROUP_BYTES each), without holding the file in memory;
and a load that changes a few documents copies every other line as bytes (splice.py),
guided by where `encode_store` put each document (`TableLayout`). A file orjson can
take is decoded whole, whatever its layout; a large one in another layout (say, written
by TinyDB itself, or by an older newsgraph with several documents per line) still decodes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

GROUP_BYTES = 64 * 2**20  # lines decoded in one orjson call when the file is too large for a single one
ORJSON_MAX_BYTES = 2**31 - 1  # orjson.loads fails on more ("Not enough memory to allocate buffer")
SEPARATOR = b",\n"  # between two documents; the last one of a table ends with a bare newline

_OPEN = b"{\n"
_CLOSE_LINES = (b"}\n", b"}")  # the file's last line, with or without its newline
_TABLE_HEAD_END = b":{\n"
_TABLE_ENDS = (b"},\n", b"}\n")


class LayoutError(ValueError):
    """The file is not a JSON store (the message says where)."""


@dataclass
class TableLayout:
    """Where one table lies in the file: its documents' byte range (`body_start`..`body_end`) and each document's.

    `members` holds (key, start, end) of each `"key":{...}`, without its separator.
    """

    body_start: int
    body_end: int = 0
    members: list[tuple[str, int, int]] = field(default_factory=list)


def encode_member(key: str, document: Any) -> bytes:
    """One document as it stands on its line: `"key":{...}`."""
    return orjson.dumps(key) + b":" + orjson.dumps(document)


def decode_member(member: bytes) -> Any:
    """The document of one `"key":{...}` (what `encode_member` made)."""
    (document,) = orjson.loads(b"{" + member + b"}").values()
    return document


def encode_store(data: dict[str, dict[str, Any]], layouts: dict[str, TableLayout] | None = None) -> Iterator[bytes]:
    """The store as pieces of bytes, a line per document (written one after the other, they are the file).

    When `layouts` is given, it is filled with each table's `TableLayout` as the pieces are made.
    """
    yield _OPEN
    offset = len(_OPEN)
    names = list(data)
    for position, name in enumerate(names):
        table = data[name]
        if not isinstance(table, dict):
            raise TypeError(f"table {name!r} is not an object of documents")
        head = orjson.dumps(str(name)) + _TABLE_HEAD_END
        yield head
        offset += len(head)
        placed = TableLayout(offset)
        last = len(table) - 1
        for index, (key, document) in enumerate(table.items()):
            member = encode_member(str(key), document)
            yield member + (SEPARATOR if index < last else b"\n")
            placed.members.append((str(key), offset, offset + len(member)))
            offset += len(member) + (len(SEPARATOR) if index < last else 1)
        placed.body_end = offset
        if layouts is not None:
            layouts[str(name)] = placed
        end = _TABLE_ENDS[0] if position < len(names) - 1 else _TABLE_ENDS[1]
        yield end
        offset += len(end)
    yield _CLOSE_LINES[0]


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
    group: list[bytes] = []
    group_bytes = group_line = 0
    for number, line in enumerate(handle, start=2):
        if table is not None:
            if line in _TABLE_ENDS:
                table.update(_decode_group(group, group_line))
                table, group, group_bytes = None, [], 0
                continue
            if not group:
                group_line = number
            group.append(line)
            group_bytes += len(line)
            if group_bytes >= GROUP_BYTES:
                table.update(_decode_group(group, group_line))
                group, group_bytes = [], 0
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


def _decode_group(lines: list[bytes], first_line: int) -> dict[str, Any]:
    """Consecutive document lines (`"key":{...},` each, the table's last without the comma) as one object."""
    if not lines:
        return {}
    members = b"".join(lines).rstrip().removesuffix(b",")
    return _decode_line(b"{" + members + b"}", first_line, first_line + len(lines) - 1)


def _decode_line(raw: bytes, number: int, last: int | None = None) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        where = f"line {number}" if last is None or last == number else f"lines {number}-{last}"
        raise LayoutError(f"{where}: {error}") from None


def _decode_whole(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        if len(raw) > ORJSON_MAX_BYTES:
            return json.loads(raw)
        return orjson.loads(raw)
    except ValueError as error:  # both decoders' errors are ValueErrors
        raise LayoutError(str(error)) from None
