"""The benchmark corpus generator: an archive in the FORMAT that parses back to the events it was made from."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import os
import statistics
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.corpus import DAY_COUNT, FIRST_DAY, generate_events, main, write_archive
from newsgraph.parse import canonical_path, date_from_path, parse_event, render_event

SEED = 20150903
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small():
    return list(generate_events(300, SEED))


@pytest.fixture(scope="module")
def large():
    return list(generate_events(2000, SEED + 1))


@pytest.fixture(scope="module")
def small_archive(small, tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    assert write_archive(small, out) == len(small)
    return out


def _archive_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted((root / "news").rglob("*.md")):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _rendered_digest(count: int, seed: int) -> str:
    digest = hashlib.sha256()
    for event in generate_events(count, seed):
        digest.update(render_event(event).encode() + b"\0")
    return digest.hexdigest()


# -- files ----------------------------------------------------------------------------------
def test_every_file_parses_back_to_its_event_without_problems(small, small_archive):
    files = sorted((small_archive / "news").rglob("*.md"))
    assert len(files) == len(small)
    generated = {event.path: event for event in small}
    for file in files:
        result = parse_event(file.read_text(encoding="utf-8"), str(file))
        assert result.problems == ()
        assert result.event == generated[result.event.path]
        # laid out as news/YYYY/MM/D/<slug>.md, the canonical path
        assert "/" + file.relative_to(small_archive).as_posix() == result.event.path


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(small_archive, tmp_path):
    write_archive(generate_events(300, SEED), tmp_path)
    assert _archive_digest(tmp_path) == _archive_digest(small_archive)
    assert _rendered_digest(300, SEED + 7) != _rendered_digest(300, SEED)


@pytest.mark.slow
def test_output_does_not_depend_on_the_hash_seed():
    """Iterating a set of strings would make the output differ between interpreter runs."""
    script = (
        "import hashlib\n"
        "from bench.corpus import generate_events\n"
        "from newsgraph.parse import render_event\n"
        "digest = hashlib.sha256()\n"
        f"for event in generate_events(150, {SEED}):\n"
        "    digest.update(render_event(event).encode() + b'\\0')\n"
        "print(digest.hexdigest())\n"
    )
    hash_seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"  # not this process's
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, check=True)
    assert run.stdout.strip() == _rendered_digest(150, SEED)


def test_generate_events_is_lazy_and_checks_its_count():
    events = generate_events(5, 1)
    assert iter(events) is events
    assert len(list(events)) == 5
    assert list(generate_events(0, 1)) == []
    with pytest.raises(ValueError):
        generate_events(-1, 1)


# -- shape ----------------------------------------------------------------------------------
def test_paths_are_canonical_unique_and_in_date_order(large):
    assert len({event.path for event in large}) == len(large)
    for event in large:
        assert event.path == canonical_path(event.date, event.headline)
    assert [event.date for event in large] == sorted(event.date for event in large)


def test_headlines(large):
    lengths = [len(event.headline) for event in large]
    assert min(lengths) >= 60 and max(lengths) <= 300
    assert 100 <= statistics.median(lengths) <= 200
    assert all(event.headline == event.headline.strip() for event in large)
    words = [word for event in large for word in event.headline.split()]
    assert 0.02 <= sum(not word.isascii() for word in words) / len(words) <= 0.10


def test_dates_span_25_years_uniformly(large):
    last_day = FIRST_DAY + dt.timedelta(days=DAY_COUNT - 1)
    dates = [event.date for event in large]
    assert FIRST_DAY <= min(dates) <= FIRST_DAY + dt.timedelta(days=60)
    assert last_day - dt.timedelta(days=60) <= max(dates) <= last_day
    per_year = collections.Counter(date.year for date in dates)
    assert len(per_year) == 25
    mean = len(dates) / 25
    assert all(0.5 * mean <= n <= 1.5 * mean for n in per_year.values())  # 80 a year, sd 9 for 2,000 events


def test_summaries(large):
    with_summary = [event for event in large if event.summary_markdown]
    assert 0.4 <= len(with_summary) / len(large) <= 0.6
    for event in large:
        assert bool(event.summary) == bool(event.summary_markdown)
        assert event.summary_markdown.count("\n\n") <= 2  # 0-3 paragraphs
        if not any(mark in event.summary_markdown for mark in "*[&"):
            assert event.summary == event.summary_markdown
    cut = [event for event in with_summary if event.summary_markdown.endswith("[&hellip;]")]
    assert cut and all(event.summary.endswith("[…]") for event in cut)


def test_sources_and_cover_images(large):
    hosts_by_publisher: dict[str, set[str]] = collections.defaultdict(set)
    for event in large:
        assert 1 <= len(event.sources) <= 5
        assert len({source.name for source in event.sources}) == len(event.sources)
        for source in event.sources:
            url = urlsplit(source.url)
            assert url.scheme in ("http", "https")
            hosts_by_publisher[source.name].add(url.hostname.removeprefix("www."))
    assert 100 <= len(hosts_by_publisher) <= 300
    assert all(len(hosts) == 1 for hosts in hosts_by_publisher.values())  # one domain per publisher
    covers = [event.cover_image for event in large if event.cover_image]
    assert 0.25 <= len(covers) / len(large) <= 0.35
    assert all(cover.startswith("https://") for cover in covers)


def test_related_links(large):
    archive = {event.path: event for event in large}
    items = [(event, item) for event in large for item in event.related]
    outside = 0
    for event, item in items:
        assert item.path != event.path
        target = archive.get(item.path)
        if target is None:
            outside += 1
            assert item.path == canonical_path(item.date, item.headline)  # plausible, just not generated
        else:
            assert (item.headline, item.date) == (target.headline, target.date)
        assert item.date == date_from_path(item.path)
    for event in large:
        assert len(event.related) <= 10
        assert len({item.path for item in event.related}) == len(event.related)
    assert 0.03 <= outside / len(items) <= 0.07
    assert sum(not event.related for event in large) > 0.2 * len(large)
    assert sum(len(event.related) == 10 for event in large) > 0.1 * len(large)


def test_context_tags(large):
    tag_events: collections.Counter[str] = collections.Counter()
    spellings: dict[str, set[str]] = collections.defaultdict(set)
    for event in large:
        tags = set()
        for item in event.related:
            assert 1 <= len(item.context) <= 5
            assert list(item.context) == sorted(item.context, key=str.casefold)
            for tag in item.context:
                assert "," not in tag and tag == tag.strip()
                assert all(word[0].isupper() for word in tag.split(" "))  # Title Case
                spellings[tag.casefold()].add(tag)
                tags.add(tag)
        tag_events.update(tags)
    assert all(len(spelled) == 1 for spelled in spellings.values())
    counts = sorted(tag_events.values(), reverse=True)
    assert len(counts) > 1000
    assert counts[0] >= 20 * statistics.median(counts)  # a long tail behind a few common tags


# -- command line ---------------------------------------------------------------------------
def test_command_line_writes_and_refuses_to_mix_with_an_earlier_run(tmp_path, capsys):
    assert main(["--events", "40", "--seed", "7", "--out", str(tmp_path)]) == 0
    line = capsys.readouterr().out.strip()
    assert "\n" not in line and line.startswith("40 events, 40 files in ") and line.endswith(" s")
    assert len(list((tmp_path / "news").rglob("*.md"))) == 40
    with pytest.raises(SystemExit) as refused:
        main(["--events", "10", "--seed", "7", "--out", str(tmp_path)])
    assert refused.value.code == 2
    assert main(["--events", "10", "--seed", "7", "--out", str(tmp_path), "--force"]) == 0
    assert len(list((tmp_path / "news").rglob("*.md"))) == 10
