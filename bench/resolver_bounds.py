"""The work inside one resolver: pathological searches and summaries, timed through the app.

    python -m bench.resolver_bounds                      # 100,000 events, seed 1
    python -m bench.resolver_bounds --events 10000 --work /tmp/rb

Each query is sent once through the real ASGI app (httpx's ASGI transport, the server's
default limits: 5 s per query), on a store of `--events` generated events (written
straight from `bench.corpus`, cached under `--work`); the first search, which builds the
search index, is timed on its own. Summaries: a store of one event per pathological
pattern, each summary 900 KB, written straight into the store (as an import keeps it),
and `summaryHtml` asked once each (the first render: later ones are cached). Prints one
line per query: seconds, and the answer (a count, or the error's code and message).
The promise: every line under 0.5 s, answered or refused with a clear message.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import string
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import store_file

SUMMARY_SIZES = (900_000, 49_000)  # an imported giant; and just under the length rendered whole (MARKDOWN_CHARS)
PATTERNS = {  # name → the unit repeated; markdown-it spends up to 20 µs a character on some
    "![": "![", "[": "[", "*[": "*[", "[a](b": "[a](b", "![\\n": "![\n", "**a": "**a", "`a": "`a", "<a:": "<a:",
    "1. a\\n": "1. a\n", "**a** ": "**a** ", "[a](http://b) ": "[a](http://b) ",
    "paragraphs of ![": "![" * 500 + "\n\n",
    "paragraphs of prose with links": "Some words and [a link](https://example.org/x), *emphasis* and more words.\n\n",
}


def post(app: Any, query: str) -> tuple[float, dict]:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
            return await client.post("/graphql", json={"query": query})

    started = time.perf_counter()
    response = asyncio.run(send())
    return time.perf_counter() - started, response.json()


def outcome(body: dict, key: str | None = None) -> str:
    errors = body.get("errors")
    if errors:
        codes = sorted({(error.get("extensions") or {}).get("code", "?") for error in errors})
        return f"{len(errors)} error(s) {'/'.join(codes)}: {errors[0]['message'][:110]}"
    data = body.get("data") or {}
    if key and key in data:
        return f"totalCount {data[key]['totalCount']:,}"
    return "answered"


def search_queries(vocabulary_by_use: list[str]) -> dict[str, str]:
    def upto(words: list[str], limit: int = 1000) -> str:
        text = ""
        for word in words:
            if len(text) + len(word) + 1 > limit:
                break
            text += word + " "
        return text.strip()

    common = ["the", "of", "in", "to", "a", "and"]
    starting = sorted({word[0] for word in vocabulary_by_use if word[0] in string.ascii_lowercase})
    return {
        "a* b* … z* (77 characters)": " ".join(letter + "*" for letter in string.ascii_lowercase),
        f"every letter that starts a word ({len(starting)}): a* b* …": " ".join(letter + "*" for letter in starting),
        "t*": "t*",
        "th*": "th*",
        "a* t*": "a* t*",
        "the 2-letter prefixes of the commonest words (1,000 characters)": upto([word[:2] + "*" for word in vocabulary_by_use]),
        "the commonest words (1,000 characters)": upto(vocabulary_by_use),
        '"the of"': '"the of"',
        "a 30-word phrase of common words": '"' + " ".join(common * 5) + '"',
        "60 two-word phrases": " ".join(f'"{a} {b}"' for a, b in zip(vocabulary_by_use[:60], vocabulary_by_use[1:61], strict=False))[:1000],
        "1,000 characters of `a* `": ("a* " * 400)[:1000],
    }


def bench_search(events: int, seed: int, work: Path) -> None:
    from newsgraph.server.app import ServerSettings, create_app
    from newsgraph.store import EventStore

    store = EventStore(store_file(work, events, seed, direct=True))
    app = create_app(store, ServerSettings(reload_interval=0))
    seconds, body = post(app, '{ search(text: "zebra", first: 1) { totalCount } }')
    print(f"{'first search (builds the index)':66} {seconds:7.3f} s  {outcome(body, 'search')}")
    from newsgraph.archive import Archive  # the words by use, from an index of our own (not timed)

    index = Archive.from_documents(store.documents()).search_index
    by_use = sorted(index.vocabulary, key=lambda word, postings=index._postings: (-len(postings[word]), word))
    del index
    for name, text in search_queries(by_use).items():
        seconds, body = post(app, f"{{ search(text: {json.dumps(text)}, first: 10) {{ totalCount edges {{ snippetHtml }} }} }}")
        print(f"{'search ' + name:66} {seconds:7.3f} s  {outcome(body, 'search')}", flush=True)
    starting = sorted({word[0] for word in by_use if word[0] in string.ascii_lowercase})
    for name, letters in (("a* … z*", string.ascii_lowercase), ("every starting letter", starting)):
        text = " ".join(letter + "*" for letter in letters)
        fields = " ".join(f"r{n}: relatedBy(first: 0, filter: {{text: {json.dumps(text)}}}) {{ totalCount }}" for n in range(50))
        seconds, body = post(app, f"{{ events(first: 100) {{ edges {{ node {{ path {fields} }} }} }} }}")
        label = f"relatedBy(first: 0, filter: {{text: {name}}}) × 50 aliases × 100 events"
        print(f"{label:66} {seconds:7.3f} s  {outcome(body)}", flush=True)
    fields = " ".join(f"r{n}: relatedBy(first: 0, filter: {{text: \"{by_use[20 + n]} {by_use[200 + n]}\"}}) {{ totalCount }}"
                      for n in range(50))
    seconds, body = post(app, f"{{ events(first: 100) {{ edges {{ node {{ path {fields} }} }} }} }}")
    print(f"{'relatedBy(first: 0, filter: {text: 2 common words}) × 50 distinct × 100':66} {seconds:7.3f} s  {outcome(body)}")


def bench_summaries() -> None:
    from newsgraph.parse import parse_event
    from newsgraph.server.app import ServerSettings, create_app
    from newsgraph.store import EventStore, event_to_document

    with tempfile.TemporaryDirectory() as directory:
        store = EventStore(Path(directory) / "summaries.json")
        documents, paths = [], {}
        cases = [(size, name, unit) for size in SUMMARY_SIZES for name, unit in PATTERNS.items()]
        for number, (size, name, unit) in enumerate(cases):
            day = dt.date(2015, 1, 1) + dt.timedelta(days=number)
            markdown = f"### [{day.year}-{day.month:02d}-{day.day}](/news/{day:%Y/%m}/{day.day}/index.md)\n\n# Pathological {number}\n\nx\n"
            event = parse_event(markdown, f"/news/{day:%Y/%m}/{day.day}/pathological-{number}.md").event
            summary = (unit * (size // len(unit) + 1))[:size]
            documents.append({**event_to_document(event), "summary_markdown": summary, "summary": summary})
            paths[f"{size // 1000} KB of {name!r}"] = event.path
        store.write(documents)
        app = create_app(store, ServerSettings(reload_interval=0))
        post(app, "{ stats { events } }")
        for name, path in paths.items():
            seconds, body = post(app, f"{{ event(path: {json.dumps(path)}) {{ summaryHtml }} }}")
            html = ((body.get("data") or {}).get("event") or {}).get("summaryHtml")
            answer = outcome(body) if html is None else f"{len(html):,} characters of HTML"
            print(f"{'summaryHtml of ' + name:66} {seconds:7.3f} s  {answer}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.resolver_bounds", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("bench/out/work"), help="where generated stores are cached")
    parser.add_argument("--only", choices=("search", "summaries"), default=None)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)  # refused queries: answered, not logged here
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, python {sys.version.split()[0]}", flush=True)
    if args.only != "search":
        bench_summaries()
    if args.only != "summaries":
        bench_search(args.events, args.seed, args.work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
