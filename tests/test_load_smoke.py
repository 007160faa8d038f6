"""The load test (`python -m bench.load`) at a tiny size: it runs, and the server answers every request.

The full run is `python -m bench.load` (60 s, 50 clients, 2 workers); this only
keeps the script working and checks for errors, never for timings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.drivers import REPO

pytestmark = pytest.mark.slow


def test_a_short_load_test_has_no_errors(tmp_path: Path) -> None:
    out = tmp_path / "loadtest.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.load", "--duration", "3", "--clients", "5", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["errors"] == 0, report["error_kinds"]
    assert report["requests"] > 0 and report["workers"] == 2 and report["clients"] == 5
    assert set(report["by_kind"]) == {"timeline", "event", "tag", "search", "day", "node", "stats"}
    assert report["latency_ms"]["p50"] <= report["latency_ms"]["p99"] <= report["latency_ms"]["max"]
    assert f"{report['requests']} requests, 0 errors" in result.stdout
