"""The archive doctor (pure): what is wrong with an archive, event by event, as findings with a stable kind.

`diagnose` reads events (with, for files, where each part is written: `newsgraph.parse.Outline`)
and the `Archive` they make, and opens nothing: the command line (`newsgraph doctor`) reads the
files and fixes them, and `Archive.health` runs it over a stored archive, where there are no lines
and no files the loader rejected (docs/cli.md lists what each form sees).

The checks, and what each costs over n events:

- links: each related link resolved as the archive resolves it (newsgraph.archive.links): not at
  all (`unresolved-link`, with the nearest event: one with the link's slug, on the nearest day; else,
  of the link's day's events sharing the most slug words with it, the closest by difflib's ratio
  if at least 0.6),
  or only by the same-day slug rule (`fuzzy-link`, with the canonical path to write). Linear: one
  dictionary of the links' slugs over the paths, one word index per day linked to, and difflib
  over the one candidate sharing the most words with a link (three at most, on a tie).
- `path-mismatch`: the file's location is not its canonical path (its date, day directory or
  slug differs from the heading and the headline). Linear.
- sources: an invalid URL (not http(s), unparsable, no host) or one URL cited twice by one event.
- `tag-variants`: tags written differently that fold to the same letters (NFKD, combining marks
  dropped, casefold, only letters and digits kept): "Bashar al-Assad", "Bashar alAssad" and
  "bashar al-assad". One dictionary over every context tag written: linear.
- headlines: the same after folding (`duplicate-headline`: one dictionary over the whole archive,
  linear), or nearly the same (`near-duplicate-headline`: word sets sharing at least 80% of their
  words, Jaccard, dated at most NEAR_DUPLICATE_DAYS apart). Near pairs are found without comparing
  all pairs (`similar_pairs`): events are taken in date order, each indexed by its few rarest words
  (prefix filtering: two sets with Jaccard >= t share one of those), and compared only with the
  events of the last NEAR_DUPLICATE_DAYS days met through them. So the work grows with the events
  per week, not with the square of the archive, and no pair within the window is missed.
- `orphan`: an event no resolved link reaches or leaves. Linear, from the archive's inbound links.
- `rejected-file` (files only): the loader's reason for refusing the file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsgraph.archive.links import resolve_misses
from newsgraph.archive.text import tokens
from newsgraph.parse import Event, Outline, Problem, Severity, date_from_path, slug_from_path, slugify

if TYPE_CHECKING:
    from newsgraph.archive.archive import Archive

# kind → what it means (`newsgraph doctor --help`, docs/cli.md); the order findings of one line are listed in
KINDS: dict[str, str] = {
    "rejected-file": "the loader rejects the file (files only): nothing else is checked in it",
    "path-mismatch": "the file's location is not its canonical path (date, day directory or slug)",
    "unresolved-link": "a related link whose target is not in the archive (the nearest event, if any, is suggested)",
    "fuzzy-link": "a related link resolved only by the same-day slug rule (the canonical path to write is the fix)",
    "invalid-source-url": "a source or cover image URL that is not http(s), cannot be parsed or has no host",
    "repeated-source-url": "an event cites one URL more than once",
    "tag-variants": "a tag written differently elsewhere, the same after folding case, accents and punctuation",
    "duplicate-headline": "the same headline as an earlier event (after folding case, accents and punctuation)",
    "near-duplicate-headline": "nearly the same headline as an earlier event (80% of their words shared)",
    "orphan": "an event no resolved related link reaches or leaves",
}
FILE_ONLY_KINDS = frozenset({"rejected-file"})  # what a stored archive cannot show
NEAR_DUPLICATE = (4, 5)  # Jaccard of the headlines' word sets, at least 4/5 (integers: no rounding at the cut)
NEAR_DUPLICATE_DAYS = 7  # near-duplicate headlines are looked for among events at most this many days apart
CLOSE_SLUG = 0.6  # difflib ratio a same-day slug needs to be suggested for a link that resolves to nothing
NEAREST_SHORTLIST = 3  # same-day events sharing the most slug words with such a link that difflib compares, at most
_WEB_SCHEMES = ("http", "https")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong: its kind (a key of KINDS), the event's canonical path (None for a file that is
    no event), the file and line when known, what is wrong, the suggested fix, and what it is about
    (the link as written, the URL, the tag, the other event's path)."""

    kind: str
    path: str | None
    message: str
    fix: str | None = None
    subject: str | None = None
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "file": self.file, "line": self.line, "path": self.path,
                "message": self.message, "fix": self.fix, "subject": self.subject}


@dataclass(frozen=True)
class Subject:
    """What the doctor is told about one file or stored event.

    `event` None: a file the parser rejected (its `problems` say why). `location`: where the file
    is, to compare with the canonical path (None: not checked). `outline`: where its parts are
    written (None: no lines).
    """

    event: Event | None
    file: str | None = None
    location: str | None = None
    outline: Outline | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Health:
    """The findings over one archive, in the order `finding_key` gives, and their counts by kind."""

    findings: tuple[Finding, ...]
    counts: dict[str, int] = field(default_factory=dict)
    _by_kind: dict[str, tuple[Finding, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Health:
        ordered = tuple(sorted(findings, key=finding_key))
        counts = Counter(finding.kind for finding in ordered)
        return cls(ordered, {kind: counts[kind] for kind in KINDS if counts[kind]})

    def of_kind(self, kind: str | None) -> tuple[Finding, ...]:
        """The findings of one kind (None: all), in the same order; each kind's made once."""
        if kind is None:
            return self.findings
        found = self._by_kind.get(kind)
        if found is None:
            found = self._by_kind[kind] = tuple(f for f in self.findings if f.kind == kind)
        return found


_KIND_ORDER = {kind: number for number, kind in enumerate(KINDS)}


def finding_key(finding: Finding) -> tuple[str, str, int, int, str, str]:
    """Findings of a file together, by line, then kind: what the command prints and the API pages by."""
    return (finding.file or "", finding.path or "", finding.line or 0, _KIND_ORDER[finding.kind],
            finding.subject or "", finding.message)


def diagnose(subjects: Sequence[Subject], archive: Archive) -> list[Finding]:
    """Every finding about the subjects, whose events make `archive` (`Archive(events)` or a stored one)."""
    found: list[Finding] = []
    url_checks = _UrlChecks()
    resolve = _resolver(subjects, archive)
    targets = {id(subject): resolve(subject.event) for subject in subjects if subject.event is not None}
    nearest = _nearest(
        {item.path for subject in subjects if subject.event is not None
         for item, target in zip(subject.event.related, targets[id(subject)], strict=True) if target is None},
        archive,
    )
    for subject in subjects:
        event = subject.event
        if event is None:
            found += _rejected(subject)
            continue
        found += _links(subject, event, targets[id(subject)], nearest, archive)
        found += _location(subject, event)
        found += _sources(subject, event, url_checks)
        found += _orphan(subject, event, targets[id(subject)], archive)
    found += _tag_variants(subjects)
    found += _duplicates(subjects)
    return found


def archive_health(archive: Archive) -> Health:
    """The findings a stored archive shows: its events, and the locations of its misplaced files."""
    misplaced = archive.misplaced_files
    subjects = [Subject(archive.events[path], location=misplaced.get(path)) for path in archive.ascending]
    return Health.of(diagnose(subjects, archive))


# -- each check -----------------------------------------------------------------------------------------
def _found(subject: Subject, kind: str, path: str | None, message: str, fix: str | None = None,
           about: str | None = None, line: int | None = None) -> Finding:
    """A finding about a subject: its file, and the line when the subject has one (an outline)."""
    return Finding(kind, path, message, fix, about, subject.file, line if subject.outline is not None else None)


def _rejected(subject: Subject) -> Iterator[Finding]:
    for problem in subject.problems:
        if problem.severity is Severity.ERROR:
            yield Finding("rejected-file", None, f"the loader rejects this file: {problem.message}",
                          file=subject.file, line=problem.line)


def _resolver(subjects: Sequence[Subject], archive: Archive):
    """Each subject's related links resolved as the archive resolves them (a stored event: as it did)."""
    events, resolved = archive.events, archive.resolved
    foreign = [subject.event for subject in subjects
               if subject.event is not None and events.get(subject.event.path) is not subject.event]
    misses = resolve_misses((item.path for event in foreign for item in event.related if item.path not in events),
                            archive.day_paths)

    def resolve(event: Event) -> tuple[str | None, ...]:
        if events.get(event.path) is event:
            return resolved[event.path]
        return tuple(item.path if item.path in events else misses[item.path] for item in event.related)

    return resolve


def _links(subject: Subject, event: Event, targets: Sequence[str | None], nearest: dict[str, str | None],
           archive: Archive) -> Iterator[Finding]:
    outline = subject.outline
    for item, target in zip(event.related, targets, strict=True):
        line = outline.related_line(item.path) if outline else None
        if target is None:
            guess = nearest.get(item.path)
            message = f"related link to {item.path} matches no event"
            if guess is not None:
                message += f"; nearest: {guess}"
            elif item.date in archive.day_paths:
                message += "; no event of that day has a close slug"
            else:
                message += f"; the archive has no event on {item.date}"
            yield _found(subject, "unresolved-link", event.path, message, guess, item.path, line=line)
        elif target != item.path:
            yield _found(subject, "fuzzy-link", event.path,
                         f"related link to {item.path} resolves only by the same-day slug rule, to {target}",
                         target, item.path, line=line)


def _nearest(links: set[str], archive: Archive) -> dict[str, str | None]:
    """The event each link that resolves to nothing most likely means: an event with its slug (the one of
    the nearest day), else, of the same day's events sharing the most slug words with it (the first
    NEAREST_SHORTLIST of a tie), the one whose slug difflib finds closest (ratio at least CLOSE_SLUG);
    None when there is none. One pass over the archive's paths for all the links' slugs, one word index
    per day linked to, and difflib's ratio (a third of a millisecond) once per link, thrice at most."""
    if not links:
        return {}
    wanted = {slug_from_path(link) for link in links}
    by_slug: dict[str, list[str]] = defaultdict(list)
    for path in archive.ascending:
        slug = slug_from_path(path)
        if slug in wanted:
            by_slug[slug].append(path)
    found: dict[str, str | None] = {}
    by_day: dict[dt.date, list[str]] = defaultdict(list)
    for link in sorted(links):
        day = date_from_path(link)
        same_slug = [other for other in by_slug.get(slug_from_path(link), ()) if other != link]
        if same_slug:
            found[link] = min(same_slug, key=lambda other: (abs(_date_of(other) - (day or dt.date.min)), other))
        elif day is None or day not in archive.day_paths:
            found[link] = None
        else:
            by_day[day].append(link)
    for day, pending in by_day.items():
        paths = archive.day_paths[day]
        holders: dict[str, list[int]] = defaultdict(list)
        for number, path in enumerate(paths):
            for word in set(slug_from_path(path).split("-")):
                holders[word].append(number)
        for link in pending:
            slug = slug_from_path(link)
            shared: Counter[int] = Counter()
            for word in set(slug.split("-")):
                shared.update(holders.get(word, ()))
            most = max(shared.values(), default=0)
            shortlist = sorted(number for number, count in shared.items() if count == most)[:NEAREST_SHORTLIST]
            found[link] = _closest_slug(slug, [paths[number] for number in shortlist])
    return found


def _closest_slug(slug: str, paths: Iterable[str]) -> str | None:
    """Of `paths`, the one whose slug difflib finds closest to `slug` (ratio at least CLOSE_SLUG), or None."""
    matcher = difflib.SequenceMatcher(b=slug, autojunk=False)
    best: tuple[float, str] | None = None
    for other in paths:
        matcher.set_seq1(slug_from_path(other))
        if matcher.real_quick_ratio() < CLOSE_SLUG or matcher.quick_ratio() < CLOSE_SLUG:  # bounds of ratio()
            continue
        ratio = matcher.ratio()
        if ratio >= CLOSE_SLUG and (best is None or ratio > best[0]):
            best = (ratio, other)
    return best[1] if best else None


def _date_of(path: str) -> dt.date:
    return date_from_path(path) or dt.date.min


def _location(subject: Subject, event: Event) -> Iterator[Finding]:
    location = subject.location
    if location is None or is_placed(location, event.path):
        return
    parts = location.replace("\\", "/").rstrip("/").split("/")
    where = "/".join(parts[-5:])
    reasons, date_differs = [], False
    written = _day_of(parts[-4:-1]) if len(parts) >= 4 else None
    if written is None:
        reasons.append("its directories are not a day (YYYY/MM/D)")
        date_differs = True
    elif written != event.date:
        reasons.append(f"its directories say {written}, its heading {event.date}")
        date_differs = True
    elif "/".join(parts[-4:-1]) != (day := f"{event.date.year:04d}/{event.date.month:02d}/{event.date.day}"):
        reasons.append(f"its day directory is written {'/'.join(parts[-4:-1])}, not {day}")
    slug = slugify(event.headline)
    if parts[-1] != slug + ".md":
        reasons.append(f"its file name is {parts[-1]}, not the headline's slug {slug}.md")
    if not reasons:
        reasons.append("it is not under a directory named news")
    outline = subject.outline
    line = (outline.date_line if date_differs else outline.headline_line) if outline else None
    yield _found(subject, "path-mismatch", event.path,
                 f"file at {where} is not at its canonical path: {'; '.join(reasons)}", event.path, where, line=line)


def is_placed(location: str, path: str) -> bool:
    """The loader's rule: a file is where it belongs when its location ends with its canonical path."""
    return location.endswith(path) or ("/" + location.replace("\\", "/").lstrip("/")).endswith(path)


def _day_of(parts: Sequence[str]) -> dt.date | None:
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except (ValueError, IndexError):
        return None


def url_problem(url: str) -> str | None:
    """Why a source URL is not one a reader can follow; None when it is fine."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError as error:
        return f"cannot be parsed ({error})"
    if parts.scheme.lower() not in _WEB_SCHEMES:
        return f"not http(s) ({parts.scheme or 'no scheme'})"
    host = parts.hostname
    if not host:
        return "no host"
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return f"host {host!r} is not a domain name or an IP address"
        return None
    if not all(_HOST_LABEL.fullmatch(label) for label in host.removesuffix(".").split(".")):
        return f"host {host!r} is not a domain name or an IP address"
    return None


class _UrlChecks:
    """`url_problem` per URL, computed once per scheme and host: what it checks is all there (sources of one
    outlet share it, so a million sources take a few thousand checks)."""

    def __init__(self) -> None:
        self._problems: dict[str, str | None] = {}

    def __call__(self, url: str) -> str | None:
        start = url.find("://")
        if start < 0:
            return url_problem(url)
        cuts = [cut for cut in (url.find(mark, start + 3) for mark in "/?#") if cut >= 0]
        key = url[: min(cuts)] if cuts else url
        try:
            return self._problems[key]
        except KeyError:
            problem = self._problems[key] = url_problem(key)
            return problem


def _sources(subject: Subject, event: Event, url_checks: _UrlChecks) -> Iterator[Finding]:
    outline = subject.outline
    written: list[tuple[str, str, int | None]]
    kept: list[tuple[str, int | None]]
    if outline is not None:
        written = [(source.name, source.url, source.line) for source in outline.sources]
        kept = [(url, line) for name, url, line in written
                if urlsplit_scheme(url) in _WEB_SCHEMES and name and name.casefold() != "cover image"]
    else:
        kept = [(source.url, None) for source in event.sources]
        written = [("", url, None) for url, _ in kept]
        if event.cover_image:
            written.append(("Cover Image", event.cover_image, None))
    reported: set[str] = set()
    for _name, url, line in written:
        problem = url_checks(url)
        if problem is not None and url not in reported:
            reported.add(url)
            yield _found(subject, "invalid-source-url", event.path, f"source URL {url!r}: {problem}", None, url,
                         line=line)
    if len(kept) < 2:
        return
    seen: dict[str, list[int | None]] = defaultdict(list)
    first: dict[str, str] = {}
    for url, line in kept:
        key = _url_key(url)
        seen[key].append(line)
        first.setdefault(key, url)
    for key, lines in seen.items():
        if len(lines) > 1:
            yield _found(subject, "repeated-source-url", event.path,
                         f"this event cites {first[key]} {len(lines)} times", None, first[key], line=lines[1])


def urlsplit_scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        return ""


def _url_key(url: str) -> str:
    """URLs that name the same page: scheme and host in any case, without a fragment or a trailing slash."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}?{parts.query}"


def _orphan(subject: Subject, event: Event, targets: Sequence[str | None], archive: Archive) -> Iterator[Finding]:
    if archive.related_by.get(event.path) or any(t is not None and t != event.path for t in targets):
        return
    dangling = sum(target is None for target in targets)
    message = "no resolved related link reaches or leaves this event"
    if dangling:
        message += f" ({dangling} related link{'s' if dangling > 1 else ''} of it resolving to nothing)"
    outline = subject.outline
    yield _found(subject, "orphan", event.path, message, line=outline.headline_line if outline else None)


def tag_fold(name: str) -> str:
    """A tag's letters and digits, folded (NFKD, combining marks dropped, casefold): spellings of one tag agree."""
    return "".join(tokens(name))


def _tag_variants(subjects: Sequence[Subject]) -> Iterator[Finding]:
    written: dict[str, Counter[str]] = defaultdict(Counter)  # folded → spelling → times written
    folded: dict[str, str] = {}  # spelling → folded: a few thousand spellings, written millions of times
    for subject in subjects:
        for item in subject.event.related if subject.event else ():
            for name in item.context:
                key = folded.get(name)
                if key is None:
                    key = folded[name] = tag_fold(name)
                written[key][name] += 1
    preferred = {key: _most_common(spellings) for key, spellings in written.items() if len(spellings) > 1}
    if not preferred:
        return
    for subject in subjects:
        event = subject.event
        if event is None:
            continue
        reported: set[str] = set()
        for item in event.related:
            for name in item.context:
                key = folded[name]
                best = preferred.get(key)
                if best is None or name == best or name in reported:
                    continue
                reported.add(name)
                spellings = written[key]
                others = ", ".join(f"{other!r} ×{count}" for other, count in
                                   sorted(spellings.items(), key=lambda pair: (-pair[1], pair[0])) if other != name)
                line = subject.outline.related_line(item.path) if subject.outline else None
                yield _found(subject, "tag-variants", event.path,
                             f"tag {name!r} (×{spellings[name]}) is also written {others}; most often {best!r}",
                             best, name, line=line)


def _most_common(counter: Counter[str]) -> str:
    """The spelling written most often; a tie goes to the alphabetically first (as the archive shows tags)."""
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0]


def _duplicates(subjects: Sequence[Subject]) -> Iterator[Finding]:
    groups: dict[tuple[str, ...], list[Subject]] = defaultdict(list)
    ordered = sorted((s for s in subjects if s.event is not None),
                     key=lambda s: (s.event.date, s.event.path, s.file or ""))  # type: ignore[union-attr]
    for subject in ordered:
        assert subject.event is not None
        groups[tuple(tokens(subject.event.headline))].append(subject)
    for members in groups.values():
        first = members[0].event
        assert first is not None
        for subject in members[1:]:
            event = subject.event
            assert event is not None
            message = f"the same headline as {first.path}"
            if event.path == first.path:
                message += f" ({members[0].file}): the same canonical path, so only one of them can be loaded"
            yield _found(subject, "duplicate-headline", event.path, message, None, first.path,
                         line=subject.outline.headline_line if subject.outline else None)
    keys = list(groups)
    sets = [frozenset(key) for key in keys]
    days = [groups[key][0].event.date.toordinal() for key in keys]  # type: ignore[union-attr]
    for earlier, later in similar_pairs(sets, NEAR_DUPLICATE, days, NEAR_DUPLICATE_DAYS):
        first_of, second_of = groups[keys[earlier]][0], groups[keys[later]][0]
        if _order(second_of) < _order(first_of):
            first_of, second_of = second_of, first_of
        a, b = first_of.event, second_of.event
        assert a is not None and b is not None
        shared, union = len(sets[earlier] & sets[later]), len(sets[earlier] | sets[later])
        yield _found(second_of, "near-duplicate-headline", b.path,
                     f"nearly the same headline as {a.path} ({shared} of {union} words shared)", None, a.path,
                     line=second_of.outline.headline_line if second_of.outline else None)


def _order(subject: Subject) -> tuple[dt.date, str, str]:
    assert subject.event is not None
    return (subject.event.date, subject.event.path, subject.file or "")


def similar_pairs(sets: Sequence[frozenset[str]], threshold: tuple[int, int],
                  days: Sequence[int] | None = None, window: int = 0) -> list[tuple[int, int]]:
    """Every pair (i, j) of sets whose Jaccard is at least t = num/den, i before j in `days` order (then by
    number); with `days` (one number per set, e.g. a date's ordinal), only pairs at most `window` apart.

    Prefix filtering (Bayardo, Ma and Srikant, "Scaling up all pairs similarity search", WWW 2007):
    words are ranked rarest first (fewest sets holding them); two sets with Jaccard >= t share a word
    among the first |x| - ceil(t|x|) + 1 of each. So each set is indexed by those few rare words, and
    compared only with the sets of the window met through them whose size could reach t (t|x| <= |y|
    <= |x|/t). Exact: no pair is missed. With a date window the work grows with the events per window,
    not with the archive: a word's postings are kept only while their sets are within the window.
    """
    num, den = threshold
    frequency: Counter[str] = Counter(word for words in sets for word in words)
    rank = {word: number for number, word in enumerate(sorted(frequency, key=lambda word: (frequency[word], word)))}
    day_of = days if days is not None else [0] * len(sets)
    order = sorted(range(len(sets)), key=lambda number: (day_of[number], number))
    postings: dict[str, list[int]] = defaultdict(list)
    starts: dict[str, int] = defaultdict(int)  # postings before this are out of the window for every later set
    pairs: list[tuple[int, int]] = []
    for number in order:
        words = sets[number]
        size = len(words)
        if not size:
            continue
        oldest = day_of[number] - window
        prefix = sorted(words, key=rank.__getitem__)[: size - (-(-num * size // den)) + 1]
        seen: set[int] = set()
        for word in prefix:
            posting = postings[word]
            start = starts[word]
            while start < len(posting) and day_of[posting[start]] < oldest:
                start += 1
            starts[word] = start
            for other in posting[start:]:
                if other in seen:
                    continue
                seen.add(other)
                others = sets[other]
                if not num * len(others) <= den * size or not num * size <= den * len(others):
                    continue  # sizes too far apart for Jaccard t
                shared = len(words & others)
                if shared * den >= num * (size + len(others) - shared):
                    pairs.append((other, number))
            posting.append(number)
    return pairs
