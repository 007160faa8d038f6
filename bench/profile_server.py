"""Where a one-worker server spends its time on one query kind: py-spy on the server under load.

    python -m bench.profile_server --kind nested --events 10000 --seconds 10 [--concurrency 1] [--response-cache]

Starts `newsgraph serve` (one worker, without its response cache unless asked) on the
benchmark store, drives it with bench/loadgen.py, records it with `py-spy record` (raw,
collapsed stacks of whichever thread holds the GIL: where the CPU goes) and prints the functions with the most
samples: on the stack at all (inclusive) and on top of it (self). The collapsed stacks
are kept under the work directory for a flame graph. py-spy needs ptrace on the server
process (it is our child here).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
from pathlib import Path

from bench.common import PYTHON, REPO, child_env, newsgraph_server, store_file
from bench.queries import KINDS, bodies


def _frame_name(frame: str) -> str:
    """`function (path/to/file.py:12)` → `function (file.py)`, so one function's lines count together."""
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rstrip(")")
    parts = Path(file).parts
    short = "/".join(parts[-2:]) if len(parts) > 1 else file
    return f"{name} ({short})"


def summarize(collapsed: Path, top: int) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(frame) for frame in stack.split(";") if frame and not frame.startswith(("thread ", "process "))]
        if not frames:
            continue
        total += count
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count
    lines = [f"{total} samples (busy threads only)", "", "inclusive:"]
    lines += [f"  {100 * count / total:5.1f}%  {name}" for name, count in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"  {100 * count / total:5.1f}%  {name}" for name, count in own.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=KINDS, default="nested")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=1, help="connections of the load generator")
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--native", action="store_true", help="C frames too (py-spy --native)")
    parser.add_argument("--response-cache", action="store_true", help="leave the server's response cache on")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "work")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    work = args.work.resolve()
    store = store_file(work, args.events, args.seed, direct=args.events > 10_000)
    from newsgraph.archive import Archive
    from newsgraph.store import EventStore

    archive = Archive.from_documents(EventStore(store).documents())
    requests = bodies(archive, args.kind, 200)
    del archive
    body_file = work / f"profile-bodies-{args.kind}-{args.events}.json"
    body_file.write_text(json.dumps([body.decode() for body in requests]), encoding="utf-8")
    collapsed = work / f"profile-{args.kind}-{args.events}.txt"
    with newsgraph_server(store, work, response_cache=args.response_cache) as server:
        load = subprocess.Popen([PYTHON, "-m", "bench.loadgen", "--port", str(server.port), "--bodies", str(body_file),
                                 "--concurrency", str(args.concurrency), "--duration", str(args.seconds + 2),
                                 "--warmup", "1"], stdout=subprocess.PIPE, env=child_env(), cwd=work)
        subprocess.run([py_spy, "record", "--pid", str(server.process.pid), "--duration", str(int(args.seconds)),
                        "--rate", str(args.rate), "--format", "raw", "--gil", "--output", str(collapsed),
                        *(["--native"] if args.native else [])], check=True, capture_output=True)
        result = json.loads(load.communicate()[0])
    print(f"load: {result['rps']:.0f} requests/s, p50 {result['p50_ms']:.2f} ms, errors {result['errors']}")
    print(f"stacks: {collapsed}")
    print(summarize(collapsed, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
