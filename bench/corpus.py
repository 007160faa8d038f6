"""A synthetic archive for benchmarks: many events in the shape of the real one.

    python -m bench.corpus --events 100000 --seed 1 --out bench/out

writes `OUT/news/YYYY/MM/D/<slug>.md`, one file per event, rendered with
`newsgraph.parse.writer.render_event`, so every file parses back to the event it was
made from. The output depends on the seed only: `random.Random(seed)` draws the
events, and the vocabulary they are written in (words, 20,000 tags, 300 publishers)
is the same for every seed, drawn once per process from `random.Random(VOCABULARY_SEED)`.
No global random state, no clock, no iteration over hashed sets.

The shape follows the bundled archive (docs/format.md, `data/news`):

- dates uniform over 25 years (2000-01-01 .. 2024-12-31);
- headlines of 60-300 characters, words from a Zipf-weighted vocabulary with
  about 5% of word occurrences carrying a non-ASCII letter; canonical paths are
  unique (a headline whose path is taken is drawn again);
- half the events have a summary of 1-3 one-line paragraphs of plain words, now
  and then with inline markup (emphasis, a link, `&amp;`) or a cut excerpt's
  `[&hellip;]`; `summary` is what the parser reads from `summary_markdown`;
- 1-5 sources from 300 publishers (Zipf-weighted), each a name and an http(s)
  URL on the publisher's domain; 30% of events have a cover image;
- 0-10 related items (30% of events none, 18% the full ten), most pointing at a
  generated event close in time, 5% at a plausible event that is not generated
  (links to a missing event come from several events, as in a real archive);
  each has 1-5 context tags drawn from the event's own few tags, which come
  from a Zipf-Mandelbrot distribution over 20,000 Title Case tags.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import functools
import itertools
import os
import random
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsgraph.parse.model import Event, RelatedItem, Source
from newsgraph.parse.slug import canonical_path, slug_from_path, slugify
from newsgraph.parse.writer import render_event

FIRST_DAY = dt.date(2000, 1, 1)
DAY_COUNT = (dt.date(2025, 1, 1) - FIRST_DAY).days  # 25 years
HEADLINE_MIN, HEADLINE_MAX = 60, 300
WORD_COUNT = 8_000  # the invented vocabulary, besides the function words
TAG_COUNT = 20_000
PUBLISHER_COUNT = 300
SUMMARY_SHARE = 0.5
COVER_SHARE = 0.30
OUTSIDE_SHARE = 0.05  # of related links: to an event that is not generated
NEARBY_SHARE = 0.6  # of in-archive related links: to an event within NEARBY_WINDOW in date order
NEARBY_WINDOW = 300
PHANTOMS_PER_EVENT = 1 / 25  # size of the pool of missing events that outside links point at
VOCABULARY_SEED = 0  # words, tags and publishers are drawn from their own Random(VOCABULARY_SEED)

# Counts drawn per event: (values, weights). Calibrated on the bundled 214-event archive.
RELATED_COUNTS = (range(11), (30, 10, 8, 7, 5, 4, 4, 4, 5, 5, 18))
SOURCE_COUNTS = (range(1, 6), (65, 22, 8, 3, 2))
CONTEXT_SIZES = (range(1, 6), (60, 25, 10, 3, 2))
TAG_POOL_SIZES = (range(1, 9), (10, 20, 25, 20, 10, 7, 5, 3))
PARAGRAPH_COUNTS = (range(1, 4), (70, 22, 8))
SENTENCE_COUNTS = (range(1, 5), (35, 35, 20, 10))

_FUNCTION_WORDS = (
    "the of in to a and for on at by with as from after is are was has says over "
    "into its their new more than two three against during amid between former"
).split()
_NUMBERS = ("2", "3", "5", "12", "17", "40", "100", "250", "1,000", "2,500", "3.5%", "40%", "1990s", "$4", "20th")
_ONSETS = "b c d f g h j k l m n p r s t v w z br ch cr dr gr kr pl pr sh st tr th".split()
_VOWELS = "a e i o u a e i o ai ea ou ia".split()
_CODAS = ["", "", "", "", "n", "r", "s", "l", "m", "t", "nd", "st", "rk"]
_ACCENTED = {
    "a": "áäå", "e": "éèë", "i": "íı", "o": "öóø", "u": "üú",
    "c": "ç", "g": "ğ", "s": "şß", "n": "ñ", "z": "ž",
}
_PAPER_WORDS = (
    "Times Herald Post Tribune Gazette Journal News Chronicle Observer Express Telegraph "
    "Standard Monitor Review Star Mirror Courier Dispatch Inquirer Press Wire Insider Report"
).split()
_SECTIONS = "world politics business europe asia americas africa science sport culture national local".split()
_URL_TEMPLATES = (
    "https://www.{domain}/news/{slug}-{n}",
    "http://{domain}/{y}/{m:02d}/{d:02d}/{section}/{slug}.html",
    "https://www.{domain}/{section}/{y}/{m:02d}/{d:02d}/{slug}",
    "https://{domain}/article/{n}",
    "http://www.{domain}/{section}/{slug}-{n}.html",
    "https://{domain}/{section}/{y}{m:02d}{d:02d}-{slug}",
)
_IMAGE_HOSTS = ("images.{domain}", "www.{domain}/files", "cdn.{domain}/media")
_TLDS = ("com", "com", "com", "co.uk", "org", "net", "de", "fr", "com.tr", "in", "com.au", "es")


@dataclass(frozen=True)
class _Publisher:
    name: str
    domain: str
    url_template: str
    image_host: str


class _Weighted:
    """A weighted population drawn by table lookup: each item fills slots in proportion to its weight.

    Integer weights give that many slots (exact); otherwise (`size` given) the weights
    are scaled to `size` slots, rounded, at least one each. A draw is one `random()`
    and an index, where `Random.choices` with weights would bisect.
    """

    def __init__(self, items: Sequence, weights: Iterable[float], size: int | None = None) -> None:
        weights = list(weights)
        if size is None:
            slots = [int(weight) for weight in weights]
        else:
            total = sum(weights)
            slots = [max(1, round(weight / total * size)) for weight in weights]
        self.table = list(itertools.chain.from_iterable(itertools.repeat(item, n) for item, n in zip(items, slots, strict=True)))

    def draw(self, rng: random.Random, k: int) -> list:
        return rng.choices(self.table, k=k)

    def one(self, rng: random.Random):
        table = self.table
        return table[int(rng.random() * len(table))]


def _zipf(items: Sequence, offset: float = 1.0, size: int = 1 << 20) -> _Weighted:
    """Weight 1/(rank + offset): Zipf for offset 1, flatter at the head (Zipf-Mandelbrot) for more."""
    return _Weighted(items, [1.0 / (rank + offset) for rank in range(len(items))], size)


def _capitalized(word: str) -> str:
    return word[:1].upper() + word[1:]


class _Vocabulary:
    """Words, text tokens, tags and publishers: the language of the archive (read-only once built)."""

    def __init__(self, rng: random.Random) -> None:
        words = self._words(rng)
        self.words = words
        self.leads = _zipf([_capitalized(word) for word in words], offset=5, size=1 << 18)
        self.tokens = self._tokens(rng, words)
        self.tags = _zipf(self._tags(rng, words), offset=10)
        self.publishers = _zipf(self._publishers(rng, words), offset=2, size=1 << 14)

    @staticmethod
    def _words(rng: random.Random) -> list[str]:
        """Invented words of 1-4 syllables; every 12th (by rank) carries a non-ASCII letter."""
        seen: dict[str, None] = {}
        syllable_counts = _Weighted(range(1, 5), (25, 45, 25, 5))
        while len(seen) < WORD_COUNT:
            syllables = syllable_counts.one(rng)
            word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables))
            word = word[:12]
            if len(seen) % 12 == 5:
                positions = [at for at in range(1, len(word)) if word[at] in _ACCENTED]
                if positions:
                    at = rng.choice(positions)
                    word = word[:at] + rng.choice(_ACCENTED[word[at]]) + word[at + 1:]
            if word not in seen and word not in _FUNCTION_WORDS:
                seen[word] = None
        return list(seen)

    @staticmethod
    def _tokens(rng: random.Random, words: list[str]) -> _Weighted:
        """Text tokens by Zipf rank: function words first, a fifth of the rest proper nouns,
        some followed by a comma, a semicolon or a possessive, and a few numbers.
        Each token carries its leading space, so a sentence is a lead word and a join."""
        items: list[str] = []
        weights: list[float] = []
        for rank, word in enumerate(itertools.chain(_FUNCTION_WORDS, words)):
            weight = 1.0 / (rank + 1)
            if rank >= len(_FUNCTION_WORDS) and rng.random() < 0.2:
                word = _capitalized(word)
                items.append(f" {word}'s")
                weights.append(weight * 0.05)
            items += [f" {word}", f" {word},", f" {word};"]
            weights += [weight, weight * 0.06, weight * 0.01]
        for number in _NUMBERS:
            items.append(" " + number)
            weights.append(0.004)
        return _Weighted(items, weights, 1 << 18)

    @staticmethod
    def _tags(rng: random.Random, words: list[str]) -> list[str]:
        """Distinct (case-insensitively) Title Case tags of 1-3 words."""
        seen: dict[str, str] = {}
        lengths = _Weighted(range(1, 4), (50, 35, 15))
        while len(seen) < TAG_COUNT:
            tag = " ".join(_capitalized(word) for word in rng.choices(words, k=lengths.one(rng)))
            seen.setdefault(tag.casefold(), tag)
        return list(seen.values())

    @staticmethod
    def _publishers(rng: random.Random, words: list[str]) -> list[_Publisher]:
        publishers: dict[str, _Publisher] = {}
        while len(publishers) < PUBLISHER_COUNT:
            place = _capitalized(rng.choice(words))
            paper = rng.choice(_PAPER_WORDS)
            style = rng.randrange(6)
            if style == 0:
                name = f"The {place} {paper}"
            elif style == 1:
                name = f"{place} {paper}"
            elif style == 2:
                name = "".join(rng.choice("ABCDEFGHKLMNPRSTVWZ") for _ in range(rng.randint(2, 4))) + " News"
            elif style == 3:
                name = f"{place} Today"
            elif style == 4:
                name = f"Radio {place}"
            else:
                name = f"{place} & {_capitalized(rng.choice(words))} {paper}"
            name_slug = slugify(name.removeprefix("The "))
            domain = name_slug.replace("-", "") + "." + rng.choice(_TLDS)
            if domain in publishers or any(p.name == name for p in publishers.values()):
                continue
            publishers[domain] = _Publisher(
                name=name,
                domain=domain,
                url_template=rng.choice(_URL_TEMPLATES),
                image_host=rng.choice(_IMAGE_HOSTS).format(domain=domain),
            )
        return list(publishers.values())


@functools.lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    """The same for every seed, built once per process: only the events depend on the seed."""
    return _Vocabulary(random.Random(VOCABULARY_SEED))


class _Generator:
    def __init__(self, count: int, seed: int) -> None:
        self.count = count
        self.rng = random.Random(seed)
        self.vocabulary = _vocabulary()
        self.related_counts = _Weighted(*RELATED_COUNTS)
        self.source_counts = _Weighted(*SOURCE_COUNTS)
        self.context_sizes = _Weighted(*CONTEXT_SIZES)
        self.tag_pool_sizes = _Weighted(*TAG_POOL_SIZES)
        self.paragraph_counts = _Weighted(*PARAGRAPH_COUNTS)
        self.sentence_counts = _Weighted(*SENTENCE_COUNTS)

    # -- text ------------------------------------------------------------------------------
    def sentence(self, min_length: int) -> str:
        """A capitalised sentence of at least `min_length` characters, ending with a period."""
        rng = self.rng
        text = self.vocabulary.leads.one(rng)
        while len(text) < min_length:
            batch = self.vocabulary.tokens.draw(rng, (min_length - len(text)) // 5 + 3)
            ends = list(itertools.accumulate(map(len, batch), initial=len(text)))
            text += "".join(batch[: bisect.bisect_left(ends, min_length)])
        return text.rstrip(",;") + "."

    def headline(self) -> str:
        headline = self.sentence(int(self.rng.triangular(HEADLINE_MIN, 280, 115)))
        while len(headline) > HEADLINE_MAX:  # cannot happen with tokens under 20 characters
            headline = headline[: headline.rfind(" ", 0, HEADLINE_MAX)].rstrip(",;") + "."
        return headline

    def summary(self, sources: Sequence[Source]) -> tuple[str, str]:
        """(plain text, markdown) as the parser would read them: one-line paragraphs."""
        rng = self.rng
        plains: list[str] = []
        markdowns: list[str] = []
        paragraphs = self.paragraph_counts.one(rng)
        for number in range(paragraphs):
            sentences = [self.sentence(rng.randint(40, 170)) for _ in range(self.sentence_counts.one(rng))]
            plain = markdown = " ".join(sentences)
            roll = rng.random()
            if roll < 0.06:  # one word in markup; the plain text keeps the word alone
                words = plain.split(" ")
                at = rng.randrange(1, len(words))
                word = words[at].rstrip(".,;")
                tail = words[at][len(word):]
                if word.isalpha():
                    if roll < 0.02:
                        marked, shown = f"*{word}*", word
                    elif roll < 0.04:
                        marked, shown = f"[{word}]({sources[0].url})", word
                    else:
                        marked, shown = f"{word} &amp; {word}", f"{word} & {word}"
                    plain = " ".join([*words[:at], shown + tail, *words[at + 1:]])
                    markdown = " ".join([*words[:at], marked + tail, *words[at + 1:]])
            if number == paragraphs - 1 and rng.random() < 0.15:  # a cut excerpt
                plain += " […]"
                markdown += " [&hellip;]"
            plains.append(plain)
            markdowns.append(markdown)
        return "\n\n".join(plains), "\n\n".join(markdowns)

    # -- the archive -----------------------------------------------------------------------
    def headers(self) -> tuple[list[dt.date], list[str], list[str]]:
        """Dates, headlines and unique canonical paths of all events, in date order."""
        rng = self.rng
        base = FIRST_DAY.toordinal()
        taken: dict[str, tuple[int, str]] = {}
        for _ in range(self.count):
            day = base + rng.randrange(DAY_COUNT)
            date = dt.date.fromordinal(day)
            while True:
                headline = self.headline()
                path = canonical_path(date, headline)
                if path not in taken:
                    break
            taken[path] = (day, headline)
        ordered = sorted(taken.items(), key=lambda entry: (entry[1][0], entry[0]))
        return (
            [dt.date.fromordinal(day) for _, (day, _) in ordered],
            [headline for _, (_, headline) in ordered],
            [path for path, _ in ordered],
        )

    def phantoms(self, paths: list[str]) -> list[RelatedItem]:
        """Events the archive links to but does not hold."""
        rng = self.rng
        known = dict.fromkeys(paths)
        found: dict[str, RelatedItem] = {}
        while len(found) < max(4, int(self.count * PHANTOMS_PER_EVENT)):
            date = FIRST_DAY + dt.timedelta(days=rng.randrange(DAY_COUNT))
            headline = self.headline()
            path = canonical_path(date, headline)
            if path not in known and path not in found:
                found[path] = RelatedItem(path, headline, date)
        return list(found.values())

    def events(self) -> Iterator[Event]:
        rng = self.rng
        dates, headlines, paths = self.headers()
        phantoms = [(item.path, item.headline, item.date) for item in self.phantoms(paths)]
        random = rng.random
        context_sizes = self.context_sizes.table
        publishers = self.vocabulary.publishers
        tags = self.vocabulary.tags
        count = len(paths)
        for index in range(count):
            date, headline, path = dates[index], headlines[index], paths[index]
            slug = slug_from_path(path)
            if len(slug) > 60:
                slug = slug[:60].rpartition("-")[0] or slug[:60]
            sources, image_host = self.sources(date, slug, publishers)
            summary, summary_markdown = self.summary(sources) if rng.random() < SUMMARY_SHARE else ("", "")
            cover_image = None
            if rng.random() < COVER_SHARE:
                cover_image = f"https://{image_host}/{date.year}/{date.month:02d}/{rng.getrandbits(48):012x}.jpg"
            related: dict[str, RelatedItem] = {}
            wanted = self.related_counts.one(rng)
            if wanted:
                pool = sorted(dict.fromkeys(tags.draw(rng, self.tag_pool_sizes.one(rng))), key=str.casefold)
                low, span = max(0, index - NEARBY_WINDOW), min(count - 1, index + NEARBY_WINDOW) + 1
                span -= low
                for _attempt in range(4 * wanted):
                    if len(related) == wanted:
                        break
                    if random() < OUTSIDE_SHARE:
                        target_path, target_headline, target_date = phantoms[int(random() * len(phantoms))]
                    else:
                        other = low + int(random() * span) if random() < NEARBY_SHARE else int(random() * count)
                        if other == index:
                            continue
                        target_path, target_headline, target_date = paths[other], headlines[other], dates[other]
                    if target_path in related:
                        continue
                    size = context_sizes[int(random() * len(context_sizes))]
                    if size == 1 or len(pool) == 1:
                        context: tuple[str, ...] = (pool[int(random() * len(pool))],)
                    else:  # the pool is in alphabetical order: so is a sample taken in pool order
                        picked = rng.sample(range(len(pool)), min(size, len(pool)))
                        context = tuple(pool[at] for at in sorted(picked))
                    related[target_path] = RelatedItem(target_path, target_headline, target_date, context)
            yield Event(
                path=path,
                date=date,
                headline=headline,
                summary=summary,
                summary_markdown=summary_markdown,
                sources=sources,
                cover_image=cover_image,
                related=tuple(related.values()),
            )

    def sources(self, date: dt.date, slug: str, publishers: _Weighted) -> tuple[tuple[Source, ...], str]:
        """1-5 sources from distinct publishers, and the first one's image host (for a cover image)."""
        rng = self.rng
        wanted = self.source_counts.one(rng)
        chosen: dict[str, _Publisher] = {}
        while len(chosen) < wanted:
            for publisher in publishers.draw(rng, wanted - len(chosen)):
                chosen.setdefault(publisher.domain, publisher)
        sources = tuple(
            Source(
                publisher.name,
                publisher.url_template.format(
                    domain=publisher.domain,
                    slug=slug,
                    n=100_000 + int(rng.random() * 900_000_000),
                    section=_SECTIONS[int(rng.random() * len(_SECTIONS))],
                    y=date.year,
                    m=date.month,
                    d=date.day,
                ),
            )
            for publisher in chosen.values()
        )
        return sources, next(iter(chosen.values())).image_host


def generate_events(count: int, seed: int) -> Iterator[Event]:
    """`count` events with unique canonical paths, in date order; the same for the same seed."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    return _Generator(count, seed).events()


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def write_archive(events: Iterable[Event], out_dir: str | os.PathLike[str]) -> int:
    """Render each event to `out_dir/news/YYYY/MM/D/<slug>.md`; the number of distinct files written.

    A file is written where its canonical path says; existing files there are replaced,
    other files under `out_dir` are left alone.
    """
    root = os.fspath(out_dir)
    made: set[str] = set()
    written: set[str] = set()
    for event in events:
        relative = canonical_path(event.date, event.headline).lstrip("/")
        target = os.path.join(root, relative)
        directory = os.path.dirname(target)
        if directory not in made:
            os.makedirs(directory, exist_ok=True)
            made.add(directory)
        data = memoryview(render_event(event).encode("utf-8"))
        descriptor = os.open(target, _WRITE_FLAGS, 0o644)  # os-level: no io buffer objects per file
        try:
            while data:
                data = data[os.write(descriptor, data):]
        finally:
            os.close(descriptor)
        written.add(relative)
    return len(written)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.corpus",
        description="Write a synthetic news archive (OUT/news/YYYY/MM/D/<slug>.md) for benchmarks.",
    )
    parser.add_argument("--events", type=int, default=1000, metavar="N", help="how many events (default 1000)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed; same seed, same files (default 0)")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory to write news/ into")
    parser.add_argument("--force", action="store_true", help="delete an existing DIR/news first")
    args = parser.parse_args(argv)
    if args.events < 0:
        parser.error("--events must be 0 or more")
    news = Path(args.out) / "news"
    if news.exists() and any(news.iterdir()):
        if not args.force:
            parser.error(f"{news} already has files; pass --force to delete it first "
                         "(files left from another run would join the archive)")
        shutil.rmtree(news)
    started = time.perf_counter()
    counted = [0]

    def counting(events: Iterator[Event]) -> Iterator[Event]:
        for event in events:
            counted[0] += 1
            yield event

    files = write_archive(counting(generate_events(args.events, args.seed)), args.out)
    seconds = time.perf_counter() - started
    print(f"{counted[0]} events, {files} files in {news} (seed {args.seed}) in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
