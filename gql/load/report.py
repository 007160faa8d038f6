"""What a load is asked to do and what it did: options, the report, each document's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsgraph.parse import ParseLimits, Problem, Severity
from newsgraph.settings import DEFAULTS

DEFAULT_MAX_FILE_BYTES = DEFAULTS.max_file_bytes


class LoadFailed(Exception):
    """The load could not finish (a worker process died, say killed by the system) and wrote nothing."""


@dataclass(frozen=True)
class LoadOptions:
    """How strict a load is and how much it accepts."""

    limits: ParseLimits = ParseLimits()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    strict: bool = False  # warnings reject a file
    prune: bool = False  # remove stored events whose file is gone from the loaded directories
    workers: int | None = None  # None: all cores for large batches


@dataclass
class LoadReport:
    """The outcome of one load: counts and every problem, each located as `file:line: message`."""

    loaded: int = 0  # new or changed events
    unchanged: int = 0
    rejected: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)
    documents: list[DocumentOutcome] = field(default_factory=list)  # per input, filled by `load_texts`

    @property
    def warnings(self) -> int:
        return sum(problem.severity is Severity.WARNING for problem in self.problems)

    def as_dict(self) -> dict:
        return {
            "loaded": self.loaded,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "removed": self.removed,
            "warnings": self.warnings,
            "problems": [
                {"file": p.file, "line": p.line, "message": p.message, "severity": p.severity.value}
                for p in self.problems
            ],
        }


@dataclass(frozen=True)
class DocumentOutcome:
    """What became of one markdown text: the canonical path it is stored at (None when rejected), its problems."""

    name: str
    path: str | None
    problems: tuple[Problem, ...]
