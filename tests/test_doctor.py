"""`newsgraph doctor` (the real command) and `Query.health` (over HTTP): what is wrong with an archive.

A copy of the bundled archive gets one defect of each kind planted in it; the command must name each at
its file and line, `--fix` must rewrite only the links' paths (atomically, every other byte kept), and
the API must report what the store can show of the same findings. The bundled archive's own findings
are checked against brute-force computations, and the near-duplicate join against all pairs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from newsgraph.archive import Archive
from newsgraph.archive.doctor import NEAR_DUPLICATE_DAYS, similar_pairs, url_problem
from newsgraph.archive.text import tokens
from newsgraph.load import load_files
from newsgraph.parse import canonical_path, date_from_path, parse_event, slug_from_path
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.api_listings import fold
from tests.conftest import BUNDLED_NEWS
from tests.drivers import ApiClient, newsgraph

GUATEMALA = (
    "2015/09/3/the-president-of-guatemala-otto-perez-molina-resigns-after-being-"
    "charged-in-a-corruption-scandal-vice-president-alejandro-maldonado-is-sworn.md"
)
JUDGE = (
    "/news/2015/09/2/a-judge-orders-that-president-of-guatemala-otto-perez-"
    "molina-be-detained-for-his-alleged-role-in-a-corruption-scandal.md"
)
CONGRESS = (
    "/news/2015/09/1/guatemala-s-congress-unanimously-votes-to-strip-president-otto-perez-"
    "of-immunity-from-prosecution-for-his-alleged-role-in-a-graft-scandal-th.md"
)
KIM_DAVIS = (
    "2015/09/3/kim-davis-the-rowan-county-kentucky-clerk-is-jailed-for-contempt-of-"
    "court-for-continuing-to-refuse-on-grounds-of-religious-freedom-to-issue.md"
)
PARADE = (
    "2015/09/3/a-military-parade-is-held-in-beijing-featuring-12-000-members-of-the-"
    "people-s-liberation-army-500-vehicles-and-200-people-s-liberation-army.md"
)
SAUDI = (
    "2015/09/14/five-saudi-troops-are-killed-following-clashes-with-houthi-"
    "militants-in-the-southern-najran-region-near-the-border-with-yemen.md"
)
FUZZY_JUDGE = JUDGE.replace("otto-perez-molina", "otto-prez-molina")


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _garbled(path: str) -> str:
    """The link with most slug words cut short: under the same-day rule's 80%, still close for difflib."""
    head, slug = path.rsplit("/", 1)
    words = slug.removesuffix(".md").split("-")
    cut = [word[:-1] if number % 2 == 0 and len(word) > 3 else word for number, word in enumerate(words[:-1])]
    return f"{head}/{'-'.join([*cut, words[-1]])}.md"


def plant(news: Path) -> list[dict[str, Any]]:
    """One defect of each kind in a copy of the bundled archive; what the doctor must find: kind, file, line, …"""
    expected: list[dict[str, Any]] = []

    def expect(kind: str, file: Path, line: int, **more: Any) -> None:
        expected.append({"kind": kind, "file": str(file), "line": line, **more})

    # Links: one resolved only by the same-day rule, one resolved by nothing (its nearest: the event it meant);
    # the file is rewritten with a BOM and CRLF line ends, which --fix must keep.
    guatemala = news / GUATEMALA
    text = guatemala.read_text(encoding="utf-8").replace(JUDGE, FUZZY_JUDGE).replace(CONGRESS, _garbled(CONGRESS))
    guatemala.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    expect("fuzzy-link", guatemala, _line_of(text, FUZZY_JUDGE), fix=JUDGE, subject=FUZZY_JUDGE)
    expect("unresolved-link", guatemala, _line_of(text, _garbled(CONGRESS)), fix=CONGRESS, subject=_garbled(CONGRESS))

    # A file in another day's directory (its heading's date differs: line 1), one under another name (line 3).
    moved = news / KIM_DAVIS.replace("/3/", "/4/")
    (news / KIM_DAVIS).rename(moved)
    expect("path-mismatch", moved, 1, fix="/news/" + KIM_DAVIS)
    parade = news / PARADE
    renamed = parade.with_name("renamed-by-hand.md")
    parade.rename(renamed)
    expect("path-mismatch", renamed, 3, fix="/news/" + PARADE)

    # The same headline on another day; nearly the same (one word changed); both new events are orphans.
    headline = parse_event(text).event.headline  # type: ignore[union-attr]
    duplicate = news / canonical_path(dt.date(2015, 9, 14), headline).removeprefix("/news/")
    duplicate.write_text(f"### [2015-09-14](/news/2015/09/14/index.md)\n\n# {headline.upper()} \n", encoding="utf-8")
    expect("duplicate-headline", duplicate, 3, subject="/news/" + GUATEMALA)
    expect("orphan", duplicate, 3)
    kim = parse_event((moved).read_text(encoding="utf-8")).event
    assert kim is not None
    near_headline = kim.headline.replace("jailed", "imprisoned")  # dated within NEAR_DUPLICATE_DAYS of it
    near = news / canonical_path(dt.date(2015, 9, 8), near_headline).removeprefix("/news/")
    near.write_text(f"### [2015-09-8](/news/2015/09/8/index.md)\n\n# {near_headline}\n", encoding="utf-8")
    expect("near-duplicate-headline", near, 3, subject=kim.path)
    expect("orphan", near, 3)

    # Sources: an unparsable host (stored), a scheme that is not http(s) (the loader drops it), a repeated URL.
    saudi = news / SAUDI
    text = saudi.read_text(encoding="utf-8")
    first_url = re.search(r"^1\. \[[^\]]*\]\((\S+)\)$", text, re.MULTILINE)[1]  # type: ignore[index]
    last_source = max(m.end() for m in re.finditer(r"^\d+\. \[.*$", text.split("### Related")[0], re.MULTILINE))
    added = ["9. [Broken](<http://exa mple.com/x>)", "9. [Ftp](ftp://example.org/x)", f"9. [Again]({first_url})"]
    text = text[:last_source] + "\n" + "\n".join(added) + text[last_source:]
    # Tags: one link's context with the case, punctuation and diacritics of three tags changed.
    text = text.replace("_Context: Houthis, Saudi Arabia, Yemen_", "_Context: Hóuthis, Saudi-Arabia, yemen_", 1)
    saudi.write_text(text, encoding="utf-8")
    expect("invalid-source-url", saudi, _line_of(text, added[0]), subject="http://exa%20mple.com/x")
    expect("invalid-source-url", saudi, _line_of(text, added[1]), subject="ftp://example.org/x", file_only=True)
    expect("repeated-source-url", saudi, _line_of(text, added[2]), subject=first_url)
    context_line = _line_of(text, "Hóuthis")
    for written, usual in (("Hóuthis", "Houthis"), ("Saudi-Arabia", "Saudi Arabia"), ("yemen", "Yemen")):
        expect("tag-variants", saudi, context_line, fix=usual, subject=written)

    # A file the loader rejects.
    rejected = news / "2015/09/5/no-headline.md"
    rejected.write_text("### [2015-09-5](/news/2015/09/5/index.md)\n\nJust a paragraph.\n", encoding="utf-8")
    expect("rejected-file", rejected, 1, file_only=True)
    return expected


def doctor_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = newsgraph("doctor", "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture
def planted(news_copy: Path) -> tuple[Path, list[dict[str, Any]]]:
    return news_copy, plant(news_copy)


def _matches(finding: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(finding.get(key) == value for key, value in wanted.items() if key != "file_only")


def test_each_planted_defect_is_found_at_its_file_and_line(planted: tuple[Path, list[dict[str, Any]]]) -> None:
    news, expected = planted
    code, report = doctor_json(str(news))
    assert code == 0  # findings, but not --strict
    findings = report["findings"]
    for wanted in expected:
        assert any(_matches(finding, wanted) for finding in findings), (wanted, [
            f for f in findings if f["file"] == wanted["file"]])
    baseline = doctor_json(str(BUNDLED_NEWS))[1]["countsByKind"]
    counts = report["countsByKind"]
    assert report["totalCount"] == len(findings) == sum(counts.values())
    assert set(counts) == set(baseline) | {kind["kind"] for kind in expected}
    for kind, count in Counter(wanted["kind"] for wanted in expected).items():  # nothing else of the planted kinds
        if kind not in ("orphan", "unresolved-link"):
            assert counts[kind] == count, (kind, [f for f in findings if f["kind"] == kind])


def test_human_output_groups_findings_by_file(planted: tuple[Path, list[dict[str, Any]]]) -> None:
    news, _expected = planted
    result = newsgraph("doctor", str(news))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    saudi = lines.index(str(news / SAUDI))
    block = list(itertools.takewhile(lambda line: line.startswith("  "), lines[saudi + 1:]))
    assert any("repeated-source-url" in line for line in block) and any("tag-variants" in line for line in block)
    assert re.fullmatch(r"\d+ findings in \d+ of 217 files: .*", lines[-1]), lines[-1]


def test_strict_exit_codes_and_usage_errors(planted: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    news, _expected = planted
    assert newsgraph("doctor", str(news), "--strict").returncode == 1
    healthy = tmp_path / "healthy" / "news"
    for day, other in ((1, 2), (2, 1)):
        folder = healthy / f"2015/09/{day}"
        folder.mkdir(parents=True)
        (folder / f"event-{day}.md").write_text(
            f"### [2015-09-{day}](/news/2015/09/{day}/index.md)\n\n# Event {day}\n\n### Source:\n\n"
            f"1. [Outlet](https://example.org/{day})\n\n### Related:\n\n"
            f"1. [Event {other} ](/news/2015/09/{other}/event-{other}.md) _Context: Topic_\n", encoding="utf-8")
    result = newsgraph("doctor", str(healthy), "--strict")
    assert (result.returncode, result.stdout.strip()) == (0, "no findings in 2 files"), result.stdout
    assert newsgraph("doctor", str(healthy), "--dry-run").returncode == 2  # --dry-run without --fix
    assert newsgraph("doctor", str(tmp_path / "missing")).returncode == 2
    assert newsgraph("doctor", str(healthy), "--no-such-flag").returncode == 2
    by_env = newsgraph("doctor", "--json", env={"NEWSGRAPH_DATA": str(healthy)})  # DIR defaults to the setting
    assert json.loads(by_env.stdout)["directory"] == str(healthy)


def _hashes(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def test_fix_dry_run_shows_the_diff_and_changes_nothing(planted: tuple[Path, list[dict[str, Any]]]) -> None:
    news, _expected = planted
    before = _hashes(news)
    result = newsgraph("doctor", str(news), "--fix", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert _hashes(news) == before
    assert f"--- a/{news / GUATEMALA}" in result.stdout and f"+++ b/{news / GUATEMALA}" in result.stdout
    removed = [line for line in result.stdout.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in result.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert len(removed) == len(added) == 1
    assert FUZZY_JUDGE in removed[0] and JUDGE in added[0]
    assert removed[0][1:].replace(FUZZY_JUDGE, JUDGE) == added[0][1:]
    assert "would rewrite 1 related link(s) in 1 file(s) (dry run: nothing changed)" in result.stdout


def test_fix_rewrites_only_link_paths_atomically(planted: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    news, _expected = planted
    before = _hashes(news)
    original = (news / GUATEMALA).read_bytes()
    code, report = doctor_json(str(news), "--fix", "--strict")
    assert code == 1  # other findings are left
    assert report["fixed"] == [{"file": str(news / GUATEMALA), "line": 13, "old": FUZZY_JUDGE, "new": JUDGE}]
    after = _hashes(news)
    assert set(after) == set(before)  # no temporary file left, none added or removed
    assert [name for name in after if after[name] != before[name]] == [GUATEMALA]
    fixed = (news / GUATEMALA).read_bytes()
    assert fixed == original.replace(FUZZY_JUDGE.encode(), JUDGE.encode(), 1)  # BOM, CRLF and all else kept
    assert fixed.startswith("\ufeff".encode()) and fixed.count(b"\r\n") == original.count(b"\r\n")

    store = EventStore(tmp_path / "fixed.json")
    load_files(store, [news])
    archive = Archive.from_documents(store.documents())
    event = archive.events["/news/" + GUATEMALA]
    assert event.related[0].path == JUDGE and archive.resolved[event.path][0] == JUDGE  # resolved exactly now
    again = doctor_json(str(news))[1]
    assert "fuzzy-link" not in again["countsByKind"]
    assert again["totalCount"] == report["totalCount"] - 1


def test_the_api_reports_what_the_store_shows_of_the_same_findings(
        planted: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    news, expected = planted
    store = EventStore(tmp_path / "planted.json")
    load_files(store, [news])
    api = ApiClient(create_app(store, ServerSettings(reload_interval=0)))
    found: list[dict[str, Any]] = []
    after = None
    while True:
        data = api.data(
            "query($after: String) { stats { healthFindings } health { totalCount countsByKind { kind count } "
            "findings(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } "
            "edges { node { kind path message fix subject event { path } } } } } }", {"after": after})
        page = data["health"]["findings"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    health = data["health"]
    assert health["totalCount"] == data["stats"]["healthFindings"] == len(found) == page["totalCount"]
    assert {c["kind"]: c["count"] for c in health["countsByKind"]} == dict(Counter(f["kind"] for f in found))
    assert all(f["event"] == {"path": f["path"]} for f in found)

    report = doctor_json(str(news))[1]
    file_only = {(w["kind"], w.get("subject")) for w in expected if w.get("file_only")}
    from_files = [f for f in report["findings"] if (f["kind"], f["subject"]) not in file_only
                  and (f["kind"], None) not in file_only]
    assert len(from_files) == len(report["findings"]) - len(file_only)

    def key(finding: dict[str, Any]) -> tuple:
        return (finding["kind"].upper().replace("-", "_"), finding["path"], finding["message"], finding["fix"],
                finding["subject"])

    assert sorted(map(key, found)) == sorted(map(key, from_files))
    only_ours = api.data('{ health { findings(kind: TAG_VARIANTS) { totalCount edges { node { subject fix } } } } }')
    assert sorted((e["node"]["subject"], e["node"]["fix"]) for e in only_ours["health"]["findings"]["edges"]) == [
        ("Hóuthis", "Houthis"), ("Saudi-Arabia", "Saudi Arabia"), ("yemen", "Yemen")]


# -- the bundled archive against brute force -----------------------------------------------------------------
def _same_day_rule(link: str, paths: list[str]) -> str | None:
    """docs/format.md's rule, written out: most link words found in a same-day slug, >= 80%, no tie."""
    words = [w for w in slug_from_path(link).split("-") if w]
    scores = []
    for path in paths:
        present = set(slug_from_path(path).split("-"))
        score = sum(w in present for w in words[:-1]) + (words[-1] in present or any(
            p.startswith(words[-1]) for p in present))
        scores.append((score, path))
    best = max((score for score, _ in scores), default=0)
    winners = [path for score, path in scores if score == best]
    return winners[0] if best and best >= 0.8 * len(words) and len(winners) == 1 else None


def test_the_bundled_archives_findings_are_the_brute_force_ones() -> None:
    report = doctor_json(str(BUNDLED_NEWS))[1]
    got: dict[str, set[tuple]] = defaultdict(set)
    for finding in report["findings"]:
        got[finding["kind"]].add((finding["path"], finding["subject"]))

    files = sorted(BUNDLED_NEWS.rglob("*.md"))
    events = {str(file): parse_event(file.read_text(encoding="utf-8"), str(file)).event for file in files}
    by_path = {event.path: event for event in events.values() if event}
    by_day: dict[Any, list[str]] = defaultdict(list)
    for path in sorted(by_path):
        by_day[date_from_path(path)].append(path)
    want: dict[str, set[tuple]] = defaultdict(set)
    targets: dict[str, list[str]] = {}
    for path, event in by_path.items():
        resolved = [item.path if item.path in by_path else _same_day_rule(item.path, by_day[item.date])
                    for item in event.related]
        targets[path] = [t for t in resolved if t and t != path]
        for item, target in zip(event.related, resolved, strict=True):
            if target is None:
                want["unresolved-link"].add((path, item.path))
            elif target != item.path:
                want["fuzzy-link"].add((path, item.path))
        urls = Counter(source.url for source in event.sources)
        want["repeated-source-url"] |= {(path, url) for url, n in urls.items() if n > 1}
        want["invalid-source-url"] |= {(path, s.url) for s in event.sources if url_problem(s.url)}
    for file, event in events.items():
        assert event is not None and file.endswith(event.path)  # every bundled file is where it belongs
    inbound = {target for found in targets.values() for target in found}
    want["orphan"] = {(path, None) for path in by_path if not targets[path] and path not in inbound}
    written: dict[str, Counter[str]] = defaultdict(Counter)  # folded by hand → spelling → times written
    for event in by_path.values():
        for item in event.related:
            for name in item.context:
                written["".join(re.findall(r"[^\W_]+", fold(name)))][name] += 1
    for path, event in by_path.items():
        for item in event.related:
            for name in item.context:
                spellings = written["".join(re.findall(r"[^\W_]+", fold(name)))]
                usual = min(spellings, key=lambda spelling: (-spellings[spelling], spelling))
                if name != usual:
                    want["tag-variants"].add((path, name))
    words = {path: frozenset(tokens(event.headline)) for path, event in by_path.items()}
    for a, b in itertools.combinations(sorted(by_path, key=lambda p: (by_path[p].date, p)), 2):
        if words[a] == words[b]:
            want["duplicate-headline"].add((b, a))
        elif len(words[a] & words[b]) * 5 >= 4 * len(words[a] | words[b]) and \
                (by_path[b].date - by_path[a].date).days <= NEAR_DUPLICATE_DAYS:
            want["near-duplicate-headline"].add((b, a))
    assert {kind: found for kind, found in want.items() if found} == dict(got)
    assert set(got) == {"unresolved-link", "orphan"}  # what the bundled archive has
    assert report["files"] == 214


@pytest.mark.parametrize("window", [None, 7])
def test_near_duplicate_join_finds_every_pair_all_pairs_would(window: int | None) -> None:
    """Prefix filtering against every pair, on word sets made to have near and far neighbours (and dates)."""
    rng = random.Random(7)
    vocabulary = [f"w{n}" for n in range(400)]
    sets: list[frozenset[str]] = []
    for _ in range(1500):
        if sets and rng.random() < 0.3:  # a variant of an earlier set: a word or two changed, added or dropped
            words = set(rng.choice(sets))
            for _change in range(rng.randint(1, 2)):
                action = rng.random()
                if action < 0.4 and len(words) > 1:
                    words.discard(rng.choice(sorted(words)))
                if action > 0.3:
                    words.add(rng.choice(vocabulary))
            sets.append(frozenset(words))
        else:
            sets.append(frozenset(rng.sample(vocabulary, rng.randint(3, 25))))
    days = [rng.randrange(60) for _ in sets]
    found = {tuple(sorted(pair)) for pair in (similar_pairs(sets, (4, 5), days, window) if window is not None
                                              else similar_pairs(sets, (4, 5)))}
    brute = {(i, j) for i, j in itertools.combinations(range(len(sets)), 2)
             if len(sets[i] & sets[j]) * 5 >= 4 * len(sets[i] | sets[j])
             and (window is None or abs(days[i] - days[j]) <= window)}
    assert found == brute and len(brute) > 50


def test_url_problems() -> None:
    assert url_problem("https://www.bbc.com/news/x?y=1#z") is None
    assert url_problem("http://[::1]:8080/x") is None
    assert url_problem("http://192.168.0.1/x") is None
    assert url_problem("ftp://example.org/x") == "not http(s) (ftp)"
    assert url_problem("http:///x") == "no host"
    assert url_problem("http://example.org:99999/x").startswith("cannot be parsed")
    assert url_problem("http://exa%20mple.com/").startswith("host")
    assert urlsplit("http://exa%20mple.com/").hostname == "exa%20mple.com"
