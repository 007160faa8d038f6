"""Every benchmark scenario at a tiny archive, so the harness never rots (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.run import SCENARIOS, main
from bench.scenarios.peer import peer_available

EVENTS = 200
DOCUMENTS = 40  # the memory scenario's distinct documents


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("bench")
    out, work = root / "out", root / "work"
    code = main(["--sizes", str(EVENTS), "--work", str(work), "--out", str(out), "--requests", "10",
                 "--duration", "0.5", "--warmup", "0.2", "--repeat", "1", "--parse-sample", "50",
                 "--concurrency", "2", "--baseline-rev", "HEAD", "--documents", str(DOCUMENTS)])
    assert code == 0
    assert (out / "summary.md").read_text(encoding="utf-8").startswith("# newsgraph benchmarks")
    return {name: json.loads((out / f"{name}.json").read_text(encoding="utf-8")) for name in SCENARIOS}


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_load_reports_rates_and_ratios(results: dict[str, dict]) -> None:
    (row,) = results["load"]["results"]
    assert row["events"] == EVENTS and row["full"]["loaded"] == EVENTS and row["full"]["rejected"] == 0
    assert row["changed_files"] == 2 and row["incremental"]["loaded"] == 2
    assert row["restore"]["loaded"] == 2 and row["restore"]["unchanged"] == EVENTS - 2
    assert row["in_process_loaded"] == 2
    for key in ("bare_files_per_s", "our_parser_files_per_s", "load_events_per_s", "load_vs_bare_parse",
                "incremental_vs_full", "in_process_vs_full"):
        assert _positive(row[key]), key


def test_cold_start_reports_time_and_memory(results: dict[str, dict]) -> None:
    (row,) = results["cold"]["results"]
    for key in ("read_decode_seconds", "archive_build_seconds", "cold_start_seconds", "cold_vs_read_decode",
                "peak_rss_mib"):
        assert _positive(row[key]), key


def test_latency_reports_every_query_without_errors(results: dict[str, dict]) -> None:
    (row,) = results["latency"]["results"]
    for kind in ("nested", "tag", "search", "page1000"):
        stats = row["kinds"][kind]
        assert stats["errors"] == 0 and stats["n"] == 10
        assert 0 < stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"]


def test_engine_compares_every_query_with_the_graphql_core_floor(results: dict[str, dict]) -> None:
    (row,) = results["engine"]["results"]
    assert _positive(row["overhead_p50"]) and _positive(row["floor"]["p50_ms"])
    for kind in ("nested", "tag", "search", "page1000"):
        stats = row["kinds"][kind]
        assert stats["floor"]["n"] == 10 and _positive(stats["reference_vs_floor_p50"]), kind
        if row["compiled_plans"]:
            assert _positive(stats["compiled_vs_floor_p50"]) and _positive(stats["compiled_vs_reference_p50"]), kind
            assert stats["plans"]["compiled"]["fallbacks"] == 0, kind


def test_ab_compares_with_a_baseline_commit(results: dict[str, dict]) -> None:
    (row,) = results["ab"]["results"]
    assert row["baseline_rev"] == "HEAD" and row["baseline_package"].endswith("gql")
    for kind in ("nested", "tag", "search", "page1000"):
        stats = row["kinds"][kind]
        assert stats["ours"]["errors"] == 0 and stats["baseline"]["errors"] == 0 and stats["ours"]["n"] == 10, kind
        assert _positive(stats["p50_ratio"]), kind
    assert len(row["throughput"]["rounds"]) == 3 and row["throughput"]["ours"]["errors_all"] == 0
    assert _positive(row["throughput"]["rps_ratio"])
    assert set(row["targets"]) == {"nested_p50", "nested_rps"}


def test_warm_gets_compare_with_typename(results: dict[str, dict]) -> None:
    (row,) = results["warm"]["results"]
    assert all(stats["errors"] == 0 for stats in row["kinds"].values())
    assert _positive(row["warm_vs_typename_p50"]) and row["answer_bytes"] > 1000
    if row["response_cache_after"] is not None:  # a server with a response cache: the repeated GETs were hits
        assert row["response_cache_after"]["hits"] >= 20


def test_memory_sends_distinct_documents(results: dict[str, dict]) -> None:
    (row,) = results["memory"]["results"]
    assert row["documents"] == DOCUMENTS and row["errors"] == 0
    assert row["curve"][-1][0] == DOCUMENTS and _positive(row["start_rss_mib"]) and _positive(row["end_rss_mib"])


def test_peer_runs_or_says_why_not(results: dict[str, dict]) -> None:
    peer = results["peer"]
    reason = peer_available(peer["settings"]["peer_python"])
    if reason:
        assert peer["skipped"] == reason
        return
    (row,) = peer["results"]
    for kind, stats in row["kinds"].items():
        assert stats["ours"]["errors"] == 0 and stats["peer"]["errors"] == 0, kind
        assert _positive(stats["latency_ratio_p50"]), kind
    # The peer may finish no nested query within the smoke test's half second: no ratio then.
    assert row["throughput"]["peer"]["errors"] == 0 and row["throughput"]["ours"]["requests"] > 0


def test_throughput_runs_one_and_two_workers(results: dict[str, dict]) -> None:
    (row,) = results["throughput"]["results"]
    assert len(row["rounds"]) == 3  # alternating rounds, at least three
    for workers in (1, 2):
        assert all(run[str(workers)]["errors"] == 0 and run[str(workers)]["requests"] > 0 for run in row["rounds"])
        assert row[f"workers_{workers}"]["rps"] in row[f"workers_{workers}"]["all_rps"]
    assert _positive(row["two_vs_one"]) and all(_positive(value) for value in row["two_vs_one_by_round"])


def test_the_load_generator_reads_chunked_and_sized_answers() -> None:
    import asyncio

    from bench.loadgen import _read_answer

    async def read(raw: bytes) -> tuple[int, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return await _read_answer(reader)

    sized = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n1\r\n}\r\n0\r\n\r\n"
    assert asyncio.run(read(sized)) == (200, b"{}")
    assert asyncio.run(read(chunked)) == (200, b"{}")


def test_unknown_scenarios_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--scenarios", "nope", "--work", str(tmp_path), "--out", str(tmp_path)])
    assert "unknown scenario" in capsys.readouterr().err
