"""Text folding for search and matching: case- and accent-insensitive word tokens (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from itertools import chain

_WORD = re.compile(r"[^\W_]+")


# Latin letters with a stroke or a missing dot that NFKD leaves whole, folded to the letter readers type.
_UNDECOMPOSED = str.maketrans(
    {"ı": "i", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h"}
)


def _fold_char(char: str) -> str:
    """The folding rule, spelled out: NFKD, drop combining marks, casefold, then the letters NFKD leaves whole."""
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_UNDECOMPOSED)


class _FoldTable(dict[int, str]):
    """`str.translate` table: code point → its folded text, filled in on first sight.

    Folding text is folding each character on its own: NFKD only decomposes (canonical
    reordering moves nothing but combining marks, all of which are dropped), and both
    `casefold` and the table above map character by character. So one `translate` over
    the whole text gives what `_fold_char` would give for the text, at a fraction of the cost.
    """

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case and strip accents: `Pérez` and `PEREZ` fold to the same `perez`, `Diyarbakır` to `diyarbakir`."""
    return text.lower() if text.isascii() else text.translate(_FOLD)


def tokens(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return _WORD.findall(fold(text))


def words_with_offsets(text: str) -> Iterator[tuple[str, int, int]]:
    """(folded word, start, end) for each word of the original text: for highlighting it in place."""
    for match in _WORD.finditer(text):
        for word in _WORD.findall(fold(match.group())):
            yield word, match.start(), match.end()


class ChunkTokens(dict[str, tuple[str, ...]]):
    """`tokens` of many texts at once, remembering the words of each whitespace-separated chunk.

    Exactly `tokens(text)`, since every whitespace character folds to characters that are
    no part of a word, so a word never runs across whitespace. For building an index: a
    corpus repeats its chunks (`the`, `Police,`) so often that folding each only once and
    looking up the rest is several times faster than folding whole texts.
    """

    def __missing__(self, chunk: str) -> tuple[str, ...]:
        words = self[chunk] = tuple(tokens(chunk))
        return words

    def of(self, text: str) -> list[str]:
        return list(chain.from_iterable(map(self.__getitem__, text.split())))
