"""Parser and full load, this tree against an earlier commit's, each as a ratio to bare markdown-it-py (issue 19).

    python -m bench.parse_ab --events 10000 --baseline-rev HEAD --rounds 3 --work /tmp/bench/work

- **parser**: files/s of `parse_event` (this tree's, and the baseline's `gql/parse/parser.py`
  imported by path) against `MarkdownIt("commonmark").parse` on the same files, in this one
  process, the three taking turns 25 files at a time so the machine's drift falls on all
  alike; the baseline's and this tree's results are compared too (they must be equal).
- **full load**: `newsgraph load CORPUS` into a fresh store, in a fresh process, of the baseline
  (its `gql/` by `git archive`, first on PYTHONPATH as `newsgraph`) and of this tree, in
  alternating order, `--rounds` times; each load's events/s is divided by the bare parse's
  files/s measured just before and just after it (their geometric mean), one process, on
  `--bare-sample` files of the same corpus.

Figures are medians over the rounds. No timing is asserted (tests/test_parse_rules.py runs it tiny).
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import io
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from bench.common import PYTHON, REPO, child_env, corpus_dir, ratio

CHUNK = 25


def baseline_tree(rev: str, work: Path) -> tuple[Path, str]:
    """(a directory whose `newsgraph` is `rev`'s gql/, the commit)."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"],
                            capture_output=True, text=True, check=True).stdout.strip()
    tree = work / f"parse-baseline-{commit[:12]}"
    if not (tree / ".complete").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit, "gql"],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        compileall.compile_dir(tree / "gql", quiet=1)
        (tree / "path").mkdir(exist_ok=True)
        (tree / "path" / "newsgraph").symlink_to(tree / "gql", target_is_directory=True)
        (tree / ".complete").write_text(f"{rev} = {commit}\n")
    return tree / "path", commit


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.md"))


def _turns(texts: list[tuple[str, str]], sides: dict[str, Callable[[str, str], object]]) -> dict[str, float]:
    """Seconds of each side over `texts`, the sides taking turns CHUNK texts at a time."""
    seconds = dict.fromkeys(sides, 0.0)
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        for name, parse in sides.items():
            began = time.perf_counter()
            for text, file in chunk:
                parse(text, file)
            seconds[name] += time.perf_counter() - began
    return seconds


def parser_rates(files: list[Path], baseline: Path, sample: int, rounds: int) -> dict:
    from markdown_it import MarkdownIt

    from newsgraph.parse import parse_event

    old = _module(baseline.resolve() / "parse" / "parser.py", "newsgraph_baseline_parser")
    chosen = files[:: max(1, len(files) // sample)][:sample]
    texts = [(file.read_text(encoding="utf-8"), str(file)) for file in chosen]
    differing = [file for text, file in texts if old.parse_event(text, file) != parse_event(text, file)]
    bare = MarkdownIt("commonmark")
    sides: dict[str, Callable[[str, str], object]] = {
        "bare": lambda text, file: bare.parse(text), "baseline": old.parse_event, "ours": parse_event}
    runs = [_turns(texts, sides) for _ in range(rounds)]
    median = {name: statistics.median(run[name] for run in runs) for name in sides}
    return {"files": len(texts), "differing": differing,
            **{f"{name}_files_per_s": len(texts) / median[name] for name in sides},
            "baseline_vs_bare": ratio(median["bare"], median["baseline"]),
            "ours_vs_bare": ratio(median["bare"], median["ours"])}


def _bare_rate(files: list[Path], sample: int) -> float:
    from markdown_it import MarkdownIt

    bare = MarkdownIt("commonmark")
    chosen = files[:: max(1, len(files) // sample)][:sample]
    began = time.perf_counter()
    for file in chosen:
        bare.parse(file.read_text(encoding="utf-8"))
    return len(chosen) / (time.perf_counter() - began)


def _load(corpus: Path, db: Path, first: list[Path]) -> float:
    for path in db.parent.glob(db.name + "*"):
        path.unlink()
    began = time.perf_counter()
    done = subprocess.run([PYTHON, "-m", "newsgraph", "load", str(corpus), "--db", str(db), "-q", "--json"],
                          capture_output=True, check=False, env=child_env(first), cwd=db.parent)
    seconds = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise RuntimeError(f"newsgraph load failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return seconds


def load_rates(corpus: Path, files: list[Path], shim: Path, work: Path, rounds: int, bare_sample: int) -> dict:
    ratios: dict[str, list[float]] = {"baseline": [], "ours": []}
    seconds: dict[str, list[float]] = {"baseline": [], "ours": []}
    for round_number in range(rounds):
        order = ["baseline", "ours"] if round_number % 2 == 0 else ["ours", "baseline"]
        for side in order:
            before = _bare_rate(files, bare_sample)
            took = _load(corpus, work / f"parse-ab-{side}.json", [shim] if side == "baseline" else [])
            bare = (before * _bare_rate(files, bare_sample)) ** 0.5  # the bare rate around the load
            seconds[side].append(took)
            ratios[side].append(len(files) / took / bare)
    return {f"{side}_{what}": statistics.median(values[side])
            for side in ratios for what, values in (("load_vs_bare", ratios), ("load_seconds", seconds))} | {
        "rounds": {"ratios": ratios, "seconds": seconds}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline-rev", default="HEAD")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=1500, help="files for the parser ratio")
    parser.add_argument("--bare-sample", type=int, default=600, help="files for the bare rate before each load")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "work", help="corpora, stores, trees")
    parser.add_argument("--no-load", action="store_true", help="the parser ratio only")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = corpus_dir(args.work, args.events, args.seed)
    files = _files(corpus)
    shim, commit = baseline_tree(args.baseline_rev, args.work)
    parse = parser_rates(files, shim / "newsgraph", args.sample, args.rounds)
    print(f"{args.events:,} events, baseline {args.baseline_rev} = {commit[:12]}, nproc {_nproc()}")
    print("| | files/s | ÷ bare commonmark |\n|---|---|---|")
    print(f"| bare `MarkdownIt(\"commonmark\").parse` | {parse['bare_files_per_s']:,.0f} | 1.00 |")
    print(f"| parser, baseline | {parse['baseline_files_per_s']:,.0f} | {parse['baseline_vs_bare']:.2f} |")
    print(f"| parser, this tree | {parse['ours_files_per_s']:,.0f} | {parse['ours_vs_bare']:.2f} |")
    if parse["differing"]:
        print(f"DIFFERENT RESULTS for {len(parse['differing'])} files, e.g. {parse['differing'][:3]}")
    if not args.no_load:
        load = load_rates(corpus, files, shim, args.work, args.rounds, args.bare_sample)
        print(f"| full load, baseline ({load['baseline_load_seconds']:.2f} s) | "
              f"{args.events / load['baseline_load_seconds']:,.0f} | {load['baseline_load_vs_bare']:.2f} |")
        print(f"| full load, this tree ({load['ours_load_seconds']:.2f} s) | "
              f"{args.events / load['ours_load_seconds']:,.0f} | {load['ours_load_vs_bare']:.2f} |")
        print("rounds:", {side: [round(value, 2) for value in values]
                          for side, values in load["rounds"]["ratios"].items()})
    return 1 if parse["differing"] else 0


def _nproc() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    raise SystemExit(main())
