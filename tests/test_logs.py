"""Quiet logs: third-party native lines filtered from fd 2 unless -v; periodic progress lines off a terminal."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from talkbench.logs import NATIVE_NOISE, LineProgress, heartbeat, progress

SRC = str(Path(__file__).resolve().parents[1] / "src")

NOISY = r'''
import os, sys
sys.path.insert(0, {src!r})
from talkbench.logs import configure
configure({verbosity})
os.write(2, b"W0000 00:00:1795999181.995132   30455 inference_feedback_manager.cc:114] Feedback manager\n")
os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
os.write(2, b"(run_item pid=123) WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
os.write(2, b"keep this line\n")
print("python stderr line", file=sys.stderr)
os.write(2, b"no newline at exit")
'''


def _stderr(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    return res.stderr


def test_native_noise_dropped_other_lines_kept_in_order():
    assert _stderr(NOISY.format(src=SRC, verbosity=0)) == "keep this line\npython stderr line\nno newline at exit"


def test_verbose_keeps_native_lines():
    err = _stderr(NOISY.format(src=SRC, verbosity=1))
    assert "inference_feedback_manager.cc:114]" in err and "TensorFlow Lite" in err and "absl::InitializeLog" in err


def test_noise_pattern_is_anchored():
    assert NATIVE_NOISE.match(b"I0000 00:00:1.5  12 gl_context.cc:357] GL version\n")
    assert NATIVE_NOISE.match(b"2026-11-30 00:41:29,963\tINFO worker.py:2038 -- Started a local Ray instance.\n")
    assert NATIVE_NOISE.match(b"[2026-11-30 00:41:29,966 I 1697 1697] logging.cc:303: Set ray log level\n")
    assert not NATIVE_NOISE.match(b"E0000 00:00:1.5  12 calculator_graph.cc:887] INVALID_ARGUMENT\n")  # errors pass
    assert not NATIVE_NOISE.match(b"2026-11-30 00:41:29,963\tERROR worker.py:1 -- task failed\n")
    assert not NATIVE_NOISE.match(b"talkbench: error: W0000 is not a file\n")
    assert not NATIVE_NOISE.match(b"WARNING talkbench.runner: 2 items missing\n")


def test_mediapipe_face_mesh_is_quiet():
    pytest.importorskip("mediapipe")
    code = (f"import sys; sys.path.insert(0, {SRC!r})\nfrom talkbench.logs import configure\nconfigure(0)\n"
            "from talkbench.faces.landmarks import get_face_mesh\nget_face_mesh()\n"
            # one write, after mediapipe's own threads have logged (they would interleave with two writes)
            "import os, time\ntime.sleep(1.0)\nos.write(2, b'built\\n')\n")
    err = _stderr(code)
    assert err.strip().splitlines()[-1] == "built"
    assert "absl" not in err and "TensorFlow Lite" not in err and ".cc:" not in err


def test_line_progress_ticks_while_an_item_is_slow():
    out = io.StringIO()
    bar = LineProgress(total=3, desc="mini-same-id", interval=0.1, file=out)
    bar.update(1)
    time.sleep(0.45)  # one slow item: the timer still reports
    bar.update(2)
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) >= 4  # >= 3 ticks during the sleep + the final line
    assert lines[0].startswith("mini-same-id: 1/3 items, 0:00 elapsed, ~0:0")
    assert lines[-1].startswith("mini-same-id: 3/3 items, 0:00 elapsed") and "left" not in lines[-1]


def test_progress_is_lines_off_a_terminal_and_iterates():
    out = io.StringIO()
    bar = progress(range(4), desc="score", file=out)
    assert isinstance(bar, LineProgress) and list(bar) == [0, 1, 2, 3]
    assert out.getvalue().splitlines()[-1].startswith("score: 4/4 items")


def test_heartbeat_without_a_count():
    out = io.StringIO()
    with heartbeat("building", interval=0.1, file=out):
        time.sleep(0.25)
    lines = out.getvalue().splitlines()
    assert len(lines) >= 2 and all(line.startswith("building: 0:00 elapsed") for line in lines)
