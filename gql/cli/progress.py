"""Progress of a long load, on stderr: a bar on a terminal, plain lines anywhere else.

A bar redrawn with carriage returns is what a person at a terminal wants; in a log
file, a CI job or a pipe it becomes one unreadable line, so there the progress is
a line such as `loaded 1000/5000 files` every so many files.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

import click

PLAIN_EVERY = 1000  # files between two plain progress lines


@contextlib.contextmanager
def load_progress(total: int, stream: TextIO | None = None, every: int = PLAIN_EVERY) -> Iterator[Callable[[int], None]]:
    """A callback to advance by some files: draws a bar on a TTY, else prints a line every `every` files.

    Plain lines are printed at each multiple of `every`, and once more at the end when
    the total is not such a multiple; a load of fewer than `every` files prints none.
    """
    stream = stream if stream is not None else sys.stderr
    if _is_terminal(stream):
        with click.progressbar(length=total, label=f"loading {total:,} files", file=stream) as bar:
            yield bar.update
        return
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        before, done = done, done + count
        if done // every > before // every or done == total > every:
            stream.write(f"loaded {done}/{total} files\n")
            stream.flush()

    yield advance


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
