"""Load progress on stderr: a bar on a terminal (a real pseudo-terminal), plain lines in a pipe or a log."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsgraph.cli.progress import load_progress
from tests.conftest import BUNDLED_NEWS, REPO
from tests.drivers import newsgraph

TOTAL = len(list(BUNDLED_NEWS.rglob("*.md")))


def test_plain_lines_every_n_files_and_once_at_an_odd_end() -> None:
    stream = io.StringIO()
    with load_progress(2500, stream, every=1000) as advance:
        for _ in range(2500):
            advance(1)
    assert stream.getvalue() == "loaded 1000/2500 files\nloaded 2000/2500 files\nloaded 2500/2500 files\n"
    small = io.StringIO()
    with load_progress(999, small, every=1000) as advance:
        advance(999)
    assert small.getvalue() == ""  # a load shorter than one step says nothing beyond its summary


@pytest.mark.slow
def test_a_pipe_gets_plain_progress_lines_and_the_summary_stays_on_stdout(tmp_path: Path) -> None:
    result = newsgraph("load", "--db", str(tmp_path / "store.json"), "--progress-every", "50", "--json", str(BUNDLED_NEWS))
    assert result.returncode == 0, result.stderr
    expected = [f"loaded {n}/{TOTAL} files" for n in range(50, TOTAL + 1, 50)]
    if TOTAL % 50:
        expected.append(f"loaded {TOTAL}/{TOTAL} files")
    assert result.stderr.splitlines() == expected
    assert "\r" not in result.stderr and "\x1b" not in result.stderr  # no bar drawing in a pipe
    assert json.loads(result.stdout)["loaded"] == TOTAL

    quiet = newsgraph("load", "--db", str(tmp_path / "store.json"), "--progress-every", "50", "-q", str(BUNDLED_NEWS))
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert f"0 loaded, {TOTAL} unchanged" in quiet.stdout


@pytest.mark.slow
def test_a_terminal_gets_a_progress_bar(tmp_path: Path) -> None:
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsgraph", "load", "--db", str(tmp_path / "store.json"), str(BUNDLED_NEWS)],
        cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=secondary,
    )
    os.close(secondary)
    terminal = bytearray()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                terminal += chunk
            elif process.poll() is not None:
                break
        stdout, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    drawn = terminal.decode("utf-8", "replace")
    assert f"loading {TOTAL} files" in drawn
    assert "\r" in drawn and "100%" in drawn and "[####" in drawn  # redrawn in place, to the end
    assert "loaded 1" not in drawn  # no plain lines on a terminal
    assert f"{TOTAL} loaded, 0 unchanged" in stdout.decode("utf-8")
