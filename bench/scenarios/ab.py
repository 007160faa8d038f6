"""ab: our server against an older commit's (`--baseline-rev`, default e088ff4), one worker each, A/B.

The baseline is that commit's `gql/` (`git archive`, cached under the work directory by
commit) run by the same interpreter and virtualenv: a directory holding the link
`newsgraph -> <baseline>/gql` (the package-dir mapping) goes first on PYTHONPATH, ahead of
the editable install. `--baseline-rev worktree` takes the checkout itself (no git needed).
Both servers are up at once on the same store, one worker each; ours without its response
cache (`--no-response-cache`, where the tree has one; the baseline too if it has one), so
every figure is an execution.

- latency: the four query kinds, one sequential keep-alive client per server, the requests
  alternating between the two (A B, then B A for the next draw), so the machine's drift
  falls on both alike; after a warm-up that also builds each server's search index;
- throughput: bench/loadgen.py in its own process (`--concurrency` connections, nested
  queries with varied cursors), rounds alternating between the servers (A B, B A, ...),
  the median round of each.

Targets (issue 18): nested p50 ≤ 0.4× the baseline's; nested requests/s ≥ 3× (one worker each).
"""

from __future__ import annotations

import compileall
import contextlib
import io
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import httpx

from bench.common import (
    PYTHON,
    REPO,
    child_env,
    cold_options,
    has_setting,
    newsgraph_server,
    percentiles,
    ratio,
    rss_mib,
    table,
)
from bench.queries import KINDS, bodies
from bench.scenarios.latency import WARMUP, archive_of, first_request
from bench.scenarios.throughput import loadgen

ROUNDS = 3  # throughput rounds per server, at least (or --repeat)
LATENCY_TARGET = 0.4  # ours ÷ baseline, nested p50
THROUGHPUT_TARGET = 3.0  # ours ÷ baseline, nested requests/s


def baseline_package(settings) -> tuple[Path, str]:
    """(the directory to put first on PYTHONPATH, the commit) for `settings.baseline_rev`."""
    rev = settings.baseline_rev
    work = settings.work
    if rev == "worktree":
        shim = work / "baseline-worktree"
        commit = "worktree"
        package = REPO / "gql"
    else:
        found = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"],
                               capture_output=True, text=True, check=False)
        if found.returncode:
            raise RuntimeError(f"--baseline-rev {rev!r} is not a commit here: {found.stderr.strip()}")
        commit = found.stdout.strip()
        tree = work / f"baseline-{commit[:12]}"
        package = tree / "gql"
        if not (tree / ".complete").exists():
            shutil.rmtree(tree, ignore_errors=True)
            tree.mkdir(parents=True)
            archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit, "gql"],
                                     capture_output=True, check=True).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(tree, filter="data")
            compileall.compile_dir(package, quiet=1)  # as an installed package carries its bytecode
            (tree / ".complete").write_text(f"{rev} = {commit}\n")
        shim = tree / "path"
    shim.mkdir(parents=True, exist_ok=True)
    link = shim / "newsgraph"
    if not link.is_symlink() or link.resolve() != package.resolve():
        link.unlink(missing_ok=True)
        link.symlink_to(package, target_is_directory=True)
    return shim, commit


def _check_package(env: dict[str, str], expected: Path) -> str:
    """Where `import newsgraph` leads with `env`; refuses a mix-up (the bench would compare us with us)."""
    done = subprocess.run([PYTHON, "-c", "import newsgraph, pathlib; print(pathlib.Path(newsgraph.__file__).parent)"],
                          capture_output=True, text=True, check=True, env=env)
    found = Path(done.stdout.strip())
    if found.resolve() != expected.resolve():
        raise RuntimeError(f"the baseline's newsgraph is {found}, not {expected}")
    return str(found.resolve())


def _alternating(clients: dict[str, httpx.Client], requests: list[bytes]) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each body to both servers in turn (A B, then B A): seconds per request and error answers per server."""
    names = list(clients)
    samples: dict[str, list[float]] = {name: [] for name in names}
    errors = dict.fromkeys(names, 0)
    for number, body in enumerate(requests):
        for name in names if number % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            response = clients[name].post("/graphql", content=body)
            samples[name].append(time.perf_counter() - started)
            errors[name] += response.status_code != 200 or b'"errors"' in response.content
    return samples, errors


def run_size(settings, events: int) -> dict:
    store, archive = archive_of(settings, events)
    requests = {kind: bodies(archive, kind, settings.requests) for kind in KINDS}
    load = bodies(archive, "nested", max(settings.requests, 200))
    del archive
    shim, commit = baseline_package(settings)
    package = Path(shim / "newsgraph").resolve()
    baseline_env = child_env([shim])
    result: dict = {"events": events, "baseline_rev": settings.baseline_rev, "baseline_commit": commit,
                    "baseline_package": _check_package(baseline_env, package),
                    "ours_options": cold_options(), "baseline_options": cold_options(package),
                    "baseline_has_response_cache": has_setting(package, "response_cache"), "kinds": {}}
    with contextlib.ExitStack() as stack:
        servers = {
            "ours": stack.enter_context(newsgraph_server(store, settings.work)),
            "baseline": stack.enter_context(newsgraph_server(store, settings.work, package=package,
                                                             env=baseline_env, name="baseline")),
        }
        clients = {name: stack.enter_context(httpx.Client(base_url=server.url, timeout=120.0,
                                                          headers={"content-type": "application/json"}))
                   for name, server in servers.items()}
        for name, server in servers.items():
            result[f"{name}_first_search_seconds"] = first_request(server.url, requests["search"][-1])
        for kind in KINDS:
            _alternating(clients, requests[kind][:WARMUP])
        for kind in KINDS:
            samples, errors = _alternating(clients, requests[kind])
            figures = {name: {**percentiles(samples[name]), "errors": errors[name]} for name in samples}
            result["kinds"][kind] = {
                **figures,
                "p50_ratio": ratio(figures["ours"]["p50_ms"], figures["baseline"]["p50_ms"]),
                "p99_ratio": ratio(figures["ours"]["p99_ms"], figures["baseline"]["p99_ms"]),
                "mean_ratio": ratio(figures["ours"]["mean_ms"], figures["baseline"]["mean_ms"]),
            }
        rounds = []
        for number in range(max(settings.repeat, ROUNDS)):
            order = list(servers) if number % 2 == 0 else list(servers)[::-1]
            rounds.append({name: loadgen(settings, servers[name].port, load, f"ab-{name}-{events}") for name in order})
        result["rss_mib"] = {name: rss_mib(server.process.pid) for name, server in servers.items()}
    throughput: dict = {"rounds": rounds}
    for name in servers:
        runs = sorted((measured[name] for measured in rounds), key=lambda run: run["rps"])
        throughput[name] = {**runs[len(runs) // 2], "all_rps": [measured[name]["rps"] for measured in rounds],
                            "errors_all": sum(measured[name]["errors"] for measured in rounds)}
    throughput["rps_ratio"] = ratio(throughput["ours"]["rps"], throughput["baseline"]["rps"])
    throughput["rps_ratio_by_round"] = [ratio(measured["ours"]["rps"], measured["baseline"]["rps"])
                                        for measured in rounds]
    result["throughput"] = throughput
    nested = result["kinds"]["nested"]
    result["targets"] = {
        "nested_p50": {"figure": nested["p50_ratio"], "target": LATENCY_TARGET,
                       "met": nested["p50_ratio"] is not None and nested["p50_ratio"] <= LATENCY_TARGET},
        "nested_rps": {"figure": throughput["rps_ratio"], "target": THROUGHPUT_TARGET,
                       "met": throughput["rps_ratio"] is not None and throughput["rps_ratio"] >= THROUGHPUT_TARGET},
    }
    return result


def run(settings) -> dict:
    results = [run_size(settings, events) for events in settings.sizes]
    rev = results[0]["baseline_commit"][:12] if results else settings.baseline_rev
    rows = [[r["events"], kind, r["kinds"][kind]["ours"]["p50_ms"], r["kinds"][kind]["baseline"]["p50_ms"],
             r["kinds"][kind]["p50_ratio"], r["kinds"][kind]["ours"]["p99_ms"], r["kinds"][kind]["baseline"]["p99_ms"],
             r["kinds"][kind]["p99_ratio"], r["kinds"][kind]["mean_ratio"],
             r["kinds"][kind]["ours"]["errors"] + r["kinds"][kind]["baseline"]["errors"]]
            for r in results for kind in KINDS]
    text = table(f"A/B latency (ms): ours (no response cache) vs {rev}, one worker each, requests alternating",
                 ["events", "query", "ours p50", "baseline p50", "ours ÷ baseline p50", "ours p99", "baseline p99",
                  "ours ÷ baseline p99", "ours ÷ baseline mean", "errors"], rows)
    text += table(f"A/B throughput (nested query, {settings.concurrency} connections, {settings.duration:g} s a round, "
                  "median of alternating rounds; one worker each)",
                  ["events", "ours req/s", "baseline req/s", "ours ÷ baseline", "ours ÷ baseline by round",
                   "ours p50 ms", "baseline p50 ms", "errors", "RSS MiB ours / baseline"],
                  [[r["events"], r["throughput"]["ours"]["rps"], r["throughput"]["baseline"]["rps"],
                    r["throughput"]["rps_ratio"],
                    ", ".join(f"{value:.2f}" for value in r["throughput"]["rps_ratio_by_round"]),
                    r["throughput"]["ours"]["p50_ms"], r["throughput"]["baseline"]["p50_ms"],
                    r["throughput"]["ours"]["errors_all"] + r["throughput"]["baseline"]["errors_all"],
                    f"{r['rss_mib']['ours']:.0f} / {r['rss_mib']['baseline']:.0f}"] for r in results])
    text += table("A/B targets", ["events", "target", "figure", "met?"],
                  [[r["events"], name, f"{t['figure']:.3g}" if t["figure"] else None,
                    f"{'yes' if t['met'] else '**no**'} (target {'≤' if name == 'nested_p50' else '≥'} {t['target']:g})"]
                   for r in results for name, t in r["targets"].items()])
    return {"results": results, "table": text}
