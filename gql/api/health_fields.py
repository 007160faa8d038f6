"""`Query.health`: the archive doctor's findings over the stored archive (newsgraph.archive.doctor).

Computed once per archive, on first use, and kept with it (`Archive.health`); a request pages
through that list. The store has no lines and no rejected files, so a finding here has the
event's canonical path but no file or line, and kinds only a file shows (`rejected-file`),
or the parts of a file the loader drops (a source link that is not http(s)), do not appear.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from newsgraph.api.connections import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_request,
    paginate_or_reject,
    to_connection,
)
from newsgraph.api.context import archive_of
from newsgraph.api.types import Event
from newsgraph.archive import KINDS, Archive, Finding

HEALTH = (
    "What the archive doctor (`newsgraph doctor`) finds in the stored archive: related links that resolve to "
    "nothing or only by the same-day slug rule, files not at their canonical path, duplicate and near-duplicate "
    "headlines, invalid or repeated source URLs, tags spelled several ways, events no link reaches or leaves. "
    "Computed once per archive, on first use. No line numbers: the store keeps none (the command gives them)."
)


def _value(kind: str) -> Any:
    return strawberry.enum_value(kind, description=KINDS[kind][:1].upper() + KINDS[kind][1:] + ".")


@strawberry.enum(description="The kind of a health finding: a stable code (`newsgraph doctor` prints it in lower "
                             "case with dashes: UNRESOLVED_LINK is unresolved-link).")
class HealthKind(Enum):
    PATH_MISMATCH = _value("path-mismatch")
    UNRESOLVED_LINK = _value("unresolved-link")
    FUZZY_LINK = _value("fuzzy-link")
    INVALID_SOURCE_URL = _value("invalid-source-url")
    REPEATED_SOURCE_URL = _value("repeated-source-url")
    TAG_VARIANTS = _value("tag-variants")
    DUPLICATE_HEADLINE = _value("duplicate-headline")
    NEAR_DUPLICATE_HEADLINE = _value("near-duplicate-headline")
    ORPHAN = _value("orphan")


_KIND_OF_CODE = {kind.value: kind for kind in HealthKind}
_ORDER = "health"


@strawberry.type(description="One thing wrong with an event of the archive, and the fix when there is one.")
class HealthFinding:
    record: strawberry.Private[Finding]
    archive: strawberry.Private[Archive]

    @strawberry.field(description="What is wrong: a stable code.")
    def kind(self) -> HealthKind:
        return _KIND_OF_CODE[self.record.kind]

    @strawberry.field(description="Canonical path of the event the finding is about.")
    def path(self) -> str | None:
        return self.record.path

    @strawberry.field(description="The event the finding is about.")
    def event(self) -> Event | None:
        found = self.archive.events.get(self.record.path or "")
        return Event(record=found, archive=self.archive) if found else None  # type: ignore[call-arg]  # id: a field

    @strawberry.field(description="What is wrong, in words.")
    def message(self) -> str:
        return self.record.message

    @strawberry.field(description="The suggested fix, when there is one: the canonical path a link should name "
                                  "(FUZZY_LINK), the nearest event of a link to nothing (UNRESOLVED_LINK), where a "
                                  "file belongs (PATH_MISMATCH), the spelling a tag has most often (TAG_VARIANTS).")
    def fix(self) -> str | None:
        return self.record.fix

    @strawberry.field(description="What the finding is about: the link as written, the URL, the tag as written, "
                                  "the earlier event with the same headline, the file's location (its last parts).")
    def subject(self) -> str | None:
        return self.record.subject


@strawberry.type(description="How many findings of one kind the archive has.")
class HealthKindCount:
    kind: HealthKind = strawberry.field(description="The kind.")
    count: int = strawberry.field(description="Findings of this kind (at least 1).")


_RANK = {kind: number for number, kind in enumerate(KINDS)}


def _key(finding: Finding) -> tuple:
    """The findings' order, as `Archive.health` holds them (newsgraph.archive.doctor's `finding_key`, which for a
    stored archive, without files and lines, is by path, kind, subject): unique per finding, so a cursor holds it."""
    return (finding.path or "", _RANK[finding.kind], finding.subject or "")


@strawberry.type(description="The archive's health: its findings, counted by kind and listed event by event.")
class Health:
    archive: strawberry.Private[Archive]

    @strawberry.field(description="Findings in all.")
    def total_count(self) -> int:
        return len(self.archive.health.findings)

    @strawberry.field(description="Findings by kind, for the kinds found, in a fixed order of kinds.")
    def counts_by_kind(self) -> list[HealthKindCount]:
        return [HealthKindCount(kind=_KIND_OF_CODE[kind], count=count)
                for kind, count in self.archive.health.counts.items()]

    @strawberry.field(description="The findings, by event path, then kind and subject.")
    def findings(
        self,
        kind: Annotated[HealthKind | None, strawberry.argument(description="Only findings of this kind.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[HealthFinding]:
        archive = self.archive
        items = archive.health.of_kind(kind.value if kind else None)
        page = paginate_or_reject(items, _key, _ORDER, page_request(first, after, last, before))
        return to_connection(page, lambda finding: HealthFinding(record=finding, archive=archive))


def health(info: Info) -> Health:
    return Health(archive=archive_of(info))
