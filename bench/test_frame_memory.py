"""Peak memory of `talkbench score` (psnr, ssim, l1) on one frame pair, by frame size: what the pixel limit
(TALKBENCH_MAX_PIXELS, default 4096×4096) protects. Each size runs in a fresh process; its peak RSS minus the
RSS after imports is stored in the benchmark's extra_info (bytes) next to the time (never asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json, resource, sys, tempfile
    from pathlib import Path
    import numpy as np
    from PIL import Image
    import talkbench.protocols.adhoc as adhoc

    side = int(sys.argv[1])
    tmp = Path(tempfile.mkdtemp())
    rng = np.random.default_rng(0)
    for name in ("p", "g"):
        (tmp / name).mkdir()
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(tmp / name / "0.png", compress_level=0)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    adhoc.score(tmp / "p", tmp / "g", metrics=("psnr", "ssim", "l1"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_kib": peak, "extra_kib": peak - base}))
""")


@pytest.mark.parametrize("side", [512, 1024, 2048, 4096])
def test_peak_memory_of_one_frame_pair(benchmark, side):
    def once():
        out = subprocess.run([sys.executable, "-c", SCRIPT, str(side)], capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    result = benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info.update(side=side, pixels=side * side, peak_rss_bytes=result["peak_kib"] * 1024,
                                extra_rss_bytes=result["extra_kib"] * 1024,
                                extra_bytes_per_pixel=result["extra_kib"] * 1024 / (side * side))
