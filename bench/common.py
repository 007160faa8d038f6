"""What every scenario shares: cached corpora and stores, timers, percentiles, servers, tables.

Corpora and stores are made once per (events, seed) under the work directory and
reused by later runs; a `.complete` marker says a corpus was written to the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

PYTHON = sys.executable
NEWSGRAPH = [PYTHON, "-m", "newsgraph"]
REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")


# -- data -----------------------------------------------------------------------------------
def corpus_dir(work: Path, events: int, seed: int) -> Path:
    """`work/corpus-N-sS/news/...`, generated with bench.corpus when missing."""
    from bench.corpus import generate_events, write_archive

    root = work / f"corpus-{events}-s{seed}"
    marker = root / ".complete"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        started = time.perf_counter()
        write_archive(generate_events(events, seed), root)
        marker.write_text(f"{events} events, seed {seed}, {time.perf_counter() - started:.1f} s\n")
    return root


def newsgraph_load(corpus: Path, db: Path, cwd: Path) -> tuple[float, dict]:
    """Run `newsgraph load CORPUS --db DB -q --json` in a fresh process: (wall seconds, its JSON summary)."""
    import orjson

    started = time.perf_counter()
    done = subprocess.run([*NEWSGRAPH, "load", str(corpus), "--db", str(db), "-q", "--json"], cwd=cwd,
                          capture_output=True, check=False, env=child_env())
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"newsgraph load failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    summary = orjson.loads(done.stdout)
    summary.pop("problems", None)
    return seconds, summary


def store_file(work: Path, events: int, seed: int, direct: bool = False) -> Path:
    """A store holding the corpus: loaded from the markdown files, or (`direct`) written from the generator.

    `direct` skips writing and parsing a million files: the documents are the same,
    less the `file` and `content_hash` bookkeeping an incremental load uses.
    """
    path = work / f"store-{events}-s{seed}.json"
    if path.exists():
        return path
    if direct:
        from bench.corpus import generate_events
        from newsgraph.store import EventStore, event_to_document

        EventStore(path).write(event_to_document(event) for event in generate_events(events, seed))
        return path
    newsgraph_load(corpus_dir(work, events, seed), path, work)
    return path


def child_env(first: Sequence[Path] = ()) -> dict[str, str]:
    """The environment of a child process: the repository (for `bench`) on PYTHONPATH, after `first`.

    `first` can put another `newsgraph` ahead of the installed one: a directory holding a link
    `newsgraph -> <tree>/gql` (the package-dir mapping) wins over the editable install's finder,
    which Python asks only after the path (bench/scenarios/ab.py runs an older commit that way).
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, first), str(REPO), env.get("PYTHONPATH", "")])
    env.pop("NEWSGRAPH_TOKEN", None)
    return env


# -- numbers --------------------------------------------------------------------------------
def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of samples in seconds, reported in milliseconds."""
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "mean_ms": statistics.fmean(ordered) * 1000, "n": len(ordered)}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return numerator / denominator


ROOM_SLOTS = 16_384  # pointer-sized slots: 128 KiB, so the chunk made for the frame is 256 KiB


def call_with_room(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)`, run at the bottom of a fresh, roomy frame-stack chunk.

    CPython 3.11 keeps Python frames in 16 KiB chunks and frees a chunk as soon as the frame
    at its base returns; graphql-core completes a value by recursion (about ten frames a level),
    and when that recursion straddles a chunk boundary every crossing allocates and frees a
    chunk, so the same query costs several times as much depending on how deep the stack
    happened to be. This frame declares 128 KiB of value stack it never uses: the interpreter
    starts a 256 KiB chunk for it and the recursion above it never crosses a boundary. The
    engine scenario's floor runs through it, so the floor is graphql-core at its steadiest.
    (newsgraph's own copy, gql/api/stack.py, went with the compiled plans.)
    """
    return function(*args, **kwargs)


call_with_room.__code__ = call_with_room.__code__.replace(co_stacksize=call_with_room.__code__.co_stacksize + ROOM_SLOTS)


def best_of(repeat: int, function) -> float:
    """The shortest of `repeat` timings of `function()` in seconds (the least disturbed by other load)."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


# -- processes ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _process_tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc; uvicorn workers are children of the server)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(parents.get(current, ()))
    return tree


def _status_kib(pid: int, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its descendants, summed, in MiB."""
    return sum(_status_kib(member, "VmHWM:") for member in _process_tree(pid)) / 1024


def rss_mib(pid: int) -> float:
    """Current resident memory of a process and its descendants, summed, in MiB."""
    return sum(_status_kib(member, "VmRSS:") for member in _process_tree(pid)) / 1024


class Server:
    """A server process on 127.0.0.1: started, waited for, stopped (its whole process group)."""

    def __init__(self, command: list[str], port: int, ready: tuple[str, str, bytes | None], cwd: Path,
                 log: Path, env: dict[str, str] | None = None) -> None:
        self.command, self.port, self.ready, self.cwd, self.log = command, port, ready, cwd, log
        self.env = env
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 600.0) -> float:
        """Start and wait until the ready request answers 200; seconds from spawn to that answer."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.started_at = time.perf_counter()
            self.process = subprocess.Popen(self.command, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                            env=self.env or child_env(), start_new_session=True)
        method, path, body = self.ready
        deadline = self.started_at + timeout
        with httpx.Client(timeout=30.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited ({self.process.returncode}); see {self.log}:\n"
                                       + self.log.read_text(errors="replace")[-2000:])
                with contextlib.suppress(httpx.HTTPError):
                    response = client.request(method, self.url + path, content=body,
                                              headers={"content-type": "application/json"})
                    if response.status_code == 200 and b'"errors"' not in response.content:
                        return time.perf_counter() - self.started_at
                if time.perf_counter() > deadline:
                    self.stop()
                    raise RuntimeError(f"server not ready after {timeout} s; see {self.log}")
                time.sleep(0.01)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def has_setting(package: Path, name: str) -> bool:
    """Whether the newsgraph in `package` (a `gql/` folder) has the setting `name`, read from its settings.py.

    Read, not imported: the package may be another commit's (bench/scenarios/ab.py)."""
    return re.search(rf"^    {re.escape(name)}: ", (package / "settings.py").read_text(encoding="utf-8"), re.M) is not None


def cold_options(package: Path = REPO / "gql") -> list[str]:
    """The serve options that leave out the response cache, where the package has one (cold figures)."""
    return ["--no-response-cache"] if has_setting(package, "response_cache") else []


def health(url: str) -> dict:
    """What the server's `/healthz` answers."""
    return httpx.get(url + "/healthz", timeout=30.0).json()


READY_QUERY = b'{"query": "{ events(first: 1) { edges { node { path } } } }"}'


def newsgraph_server(store: Path, work: Path, workers: int = 1, port: int | None = None,
                     response_cache: bool = False, options: Sequence[str] = (), package: Path = REPO / "gql",
                     env: dict[str, str] | None = None, name: str = "newsgraph") -> Server:
    """`newsgraph serve` on the store, with extra `options`; `package` and `env` to run another tree's newsgraph.

    Without its response cache unless asked (`response_cache`), where the package has one: the
    scenarios repeat their requests, and each must be an execution, not a stored answer.
    """
    port = port or free_port()
    command = [*NEWSGRAPH, "serve", "--db", str(store), "--data", str(work / "no-such-data"),
               "--port", str(port), "--workers", str(workers),
               *([] if response_cache else cold_options(package)), *options]
    return Server(command, port, ("POST", "/graphql", READY_QUERY), work, work / "logs" / f"{name}-{port}.log", env)


# -- output ---------------------------------------------------------------------------------
def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-markdown table (what docs/performance.md shows), printed and returned."""

    def cell(value: object) -> str:
        if value is None:
            return "–"
        if isinstance(value, float):
            return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = [f"### {title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    return text
