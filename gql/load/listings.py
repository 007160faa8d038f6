"""What each scanned directory held, kept beside the store so that a reload need not list it again.

A reload stats every markdown file (a file's content changes without its directory
changing), but it need not list every directory: adding, removing or renaming an
entry changes its directory's mtime and ctime, and ctime cannot be set from user
space, so a directory whose stat is the recorded one holds the recorded entries (the
idea of git's untracked cache). Checking a directory costs one stat; listing it, an
open, reads, a close and a sort: half of a reload's scan where directories hold a
file or two (one per day of news).

A listing is recorded only when its directory last changed more than RACY_NS before
it was stat-ed, since a change within the same timestamp tick would keep the stat.
The file is derived data, written without fsync: missing, damaged, or written by
another version, it is ignored, and the next load lists every directory again.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from newsgraph.store import replace_file

LISTINGS_VERSION = 2  # 2: FIFOs and other entries named *.md that are not files are kept (MARKDOWN_LINK)
RACY_NS = 2_000_000_000  # a stat this close to "now" may still change within its timestamp tick (newsgraph.load)

# An entry of a listing is its kind's letter and its name; a listing's entries are joined
# by NUL, which no file name holds: one string per directory decodes fastest.
MARKDOWN_FILE = "f"  # a regular file named *.md
MARKDOWN_LINK = "l"  # a symlink (or a FIFO...) named *.md: whether it leads to a file is asked on every scan
SUBDIRECTORY = "d"  # a directory, not a symlink: descended into
_JOIN = "\0"

Listing = list  # [identity, entries]: the directory's identity when it was listed, its entries by name, joined


def directory_identity(status: os.stat_result) -> list[int]:
    return [status.st_dev, status.st_ino, status.st_mtime_ns, status.st_ctime_ns]


@dataclass
class Listings:
    """The listings read before a scan (`recorded`) and those the scan found true or made (`seen`).

    Both are keyed by the directory's real path. `racy_ns` is RACY_NS except in tests.
    """

    recorded: dict[str, Listing] = field(default_factory=dict)
    seen: dict[str, Listing] = field(default_factory=dict)
    racy_ns: int = RACY_NS
    changed: bool = False  # a directory was listed again, or a recorded one is gone

    def recorded_entries(self, directory: str, identity: list[int]) -> list[str] | None:
        """The directory's recorded entries when its identity is the recorded one (else None: list it).

        The names are checked by the scan that follows them (newsgraph.load.finder); here only that
        none leads out of the directory.
        """
        listing = self.recorded.get(directory)
        if listing is None or listing[0] != identity or not isinstance(listing[1], str) or os.sep in listing[1]:
            return None
        return listing[1].split(_JOIN) if listing[1] else []

    def keep(self, directory: str) -> None:
        """The directory's recorded listing held true."""
        self.seen[directory] = self.recorded[directory]

    def record(self, directory: str, identity: list[int], entries: list[str]) -> None:
        """A new listing of the directory, kept unless it changed too recently to trust its stat.

        Nor is one kept whose names are not all UTF-8 (JSON cannot hold them): that directory is listed every time.
        """
        self.changed = True
        joined = _JOIN.join(entries)
        if max(identity[2], identity[3]) <= time.time_ns() - self.racy_ns and is_utf8(directory) and is_utf8(joined):
            self.seen[directory] = [identity, joined]

    def after_scan(self, real_roots: list[str]) -> dict[str, Listing]:
        """What to keep: the scan's listings, and the recorded ones of directories outside the roots scanned."""
        prefixes = tuple(root.rstrip(os.sep) + os.sep for root in real_roots)
        kept = {directory: listing for directory, listing in self.recorded.items()
                if directory not in self.seen and not (directory + os.sep).startswith(prefixes)}
        if len(kept) + len(self.seen) != len(self.recorded):
            self.changed = True  # directories under the roots that the scan no longer met
        return {**kept, **self.seen}


def is_utf8(text: str) -> bool:
    """False for a name with bytes that are not UTF-8 (os.fsdecode keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def listings_path(store: Path) -> Path:
    return store.with_name(store.name + ".listings")


def read_listings(store: Path) -> Listings:
    """The listings kept beside this store; none when the file is missing, damaged or of another version."""
    try:
        raw = orjson.loads(listings_path(store).read_bytes())
        if isinstance(raw, dict) and raw.get("version") == LISTINGS_VERSION and isinstance(raw["directories"], dict):
            return Listings({directory: listing for directory, listing in raw["directories"].items()
                             if isinstance(listing, list) and len(listing) == 2})
    except (OSError, ValueError, KeyError):
        pass
    return Listings()


def write_listings(store: Path, listings: Listings, real_roots: list[str]) -> None:
    """Keep the scan's listings beside the store when they changed; a failure only costs the next load a full scan."""
    directories = listings.after_scan(real_roots)
    if not listings.changed:
        return
    with contextlib.suppress(OSError):
        replace_file(listings_path(store), orjson.dumps({"version": LISTINGS_VERSION, "directories": directories}),
                     durable=False)
