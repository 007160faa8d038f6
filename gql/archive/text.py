"""Text folding for search and matching: case- and accent-insensitive word tokens (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

_WORD = re.compile(r"[^\W_]+")


# Latin letters with a stroke or a missing dot that NFKD leaves whole, folded to the letter readers type.
_UNDECOMPOSED = str.maketrans(
    {"ı": "i", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h"}
)


def fold(text: str) -> str:
    """Lower-case and strip accents: `Pérez` and `PEREZ` fold to the same `perez`, `Diyarbakır` to `diyarbakir`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold().translate(_UNDECOMPOSED)


def tokens(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return _WORD.findall(fold(text))


def words_with_offsets(text: str) -> Iterator[tuple[str, int, int]]:
    """(folded word, start, end) for each word of the original text: for highlighting it in place."""
    for match in _WORD.finditer(text):
        for word in _WORD.findall(fold(match.group())):
            yield word, match.start(), match.end()
