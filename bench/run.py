"""The benchmark harness: every figure is a ratio against a reference measured in the same run.

    python -m bench.run --sizes 10000,100000                 # every scenario
    python -m bench.run --scenarios latency,engine --sizes 10000,100000,1000000
    python -m bench.run --scenarios engine,ab,warm,memory --sizes 10000 --baseline-rev e088ff4

Scenarios: load, cold, latency, engine, peer, throughput, ab, warm, memory (see bench/scenarios/ and
docs/performance.md). Each prints its tables (markdown) and writes `OUT/<scenario>.json`;
`OUT/summary.md` collects the tables. Corpora and stores are cached under --work.
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson

from bench.common import REPO

SCENARIOS = ("load", "cold", "latency", "engine", "peer", "throughput", "ab", "warm", "memory")


@dataclass
class Settings:
    sizes: list[int]
    work: Path
    out: Path
    seed: int = 1
    repeat: int = 2
    requests: int = 200  # per query kind, for latency and engine
    duration: float = 10.0  # seconds of measured load per throughput run
    warmup: float = 2.0
    concurrency: int = 8
    parse_sample: int = 3000  # files timed for the bare-parse reference
    direct_above: int = 100_000  # larger stores are written from the generator, not from files
    peer_python: str | None = None
    baseline_rev: str = "e088ff4"  # the ab scenario's other server: a commit, or "worktree" (the checkout)
    documents: int = 10_000  # distinct documents the memory scenario sends
    scenario_sizes: dict[str, list[int]] = field(default_factory=dict)


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "memory_gib": round(memory / 2**30, 1),
            "load_average_at_start": os.getloadavg(), "processor": platform.processor() or platform.machine()}


def checkout() -> dict:
    """The commit measured and the files changed beside it (read-only git; empty where there is no git)."""
    def git(*arguments: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *arguments], capture_output=True, text=True, check=False)
        return done.stdout.rstrip("\n") if done.returncode == 0 else ""

    return {"commit": git("rev-parse", "--short=12", "HEAD").strip(),
            "changed": [line[3:] for line in git("status", "--porcelain", "--", "gql", "bench").splitlines()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated (default: all)")
    parser.add_argument("--sizes", default="10000,100000", help="archive sizes in events, comma-separated")
    parser.add_argument("--load-sizes", default=None, help="sizes for the load scenario (default: --sizes)")
    parser.add_argument("--peer-sizes", default=None, help="sizes for the peer scenario (default: --sizes)")
    parser.add_argument("--throughput-sizes", default=None, help="sizes for throughput (default: --sizes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "work", help="corpora, stores, logs")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out", help="JSON results and summary.md")
    parser.add_argument("--repeat", type=int, default=2, help="repetitions where the best is kept")
    parser.add_argument("--requests", type=int, default=200, help="requests per query kind")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per throughput run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument("--concurrency", type=int, default=8, help="connections of the load generator")
    parser.add_argument("--parse-sample", type=int, default=3000, help="files timed for the bare-parse reference")
    parser.add_argument("--direct-above", type=int, default=100_000,
                        help="write stores larger than this straight from the generator (no markdown files)")
    parser.add_argument("--peer-python", default=os.environ.get("NEWSGRAPH_PEER_PYTHON", "/tmp/venv-peer/bin/python"),
                        help="Python of a virtualenv with bench/peer-requirements.txt (env NEWSGRAPH_PEER_PYTHON)")
    parser.add_argument("--baseline-rev", default="e088ff4",
                        help="the ab scenario's baseline: a git revision (its gql/ via git archive) or 'worktree'")
    parser.add_argument("--documents", type=int, default=10_000,
                        help="distinct documents the memory scenario sends")
    parser.add_argument("--ab-sizes", default=None, help="sizes for the ab scenario (default: --sizes)")
    args = parser.parse_args(argv)

    def sizes(text: str | None) -> list[int]:
        return [int(size) for size in (text or args.sizes).split(",") if size]

    chosen = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    overrides = {"load": sizes(args.load_sizes), "peer": sizes(args.peer_sizes),
                 "throughput": sizes(args.throughput_sizes), "ab": sizes(args.ab_sizes)}
    # The scenarios time fresh `newsgraph` processes. An installed package carries its bytecode
    # (pip compiles it); a checkout run with PYTHONDONTWRITEBYTECODE would compile every module
    # in every process timed (40 ms each, as much as a 10k reload's scan).
    compileall.compile_dir(REPO / "gql", quiet=1)
    about = {**machine(), **checkout()}
    print(f"machine: {about}", flush=True)
    summary = [f"# newsgraph benchmarks ({time.strftime('%Y-%m-%d %H:%M')})", "", f"machine: `{about}`", ""]
    for name in chosen:
        settings = Settings(sizes=overrides.get(name, sizes(None)), work=args.work.resolve(), out=args.out,
                            seed=args.seed, repeat=args.repeat, requests=args.requests, duration=args.duration,
                            warmup=args.warmup, concurrency=args.concurrency, parse_sample=args.parse_sample,
                            direct_above=args.direct_above, peer_python=args.peer_python,
                            baseline_rev=args.baseline_rev, documents=args.documents)
        print(f"== {name} at {settings.sizes}", flush=True)
        started = time.perf_counter()
        result = importlib.import_module(f"bench.scenarios.{name}").run(settings)
        result.update(scenario=name, seconds=time.perf_counter() - started, machine=about,
                      settings={k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()})
        (args.out / f"{name}.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
        summary.append(result.get("table") or f"### {name}\n\nskipped: {result.get('skipped')}\n")
    (args.out / "summary.md").write_text("\n".join(summary) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
