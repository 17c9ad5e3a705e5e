"""bench/bench_scale.py (issue 17) at a tiny size, so the script cannot rot: every
figure is printed for every scale, with the machine's load, and the growth table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.tools import ROOT

BENCH = ROOT / "bench"
TINY = ["--clusters", "200", "--hubs", "2", "--workloads", "20", "--policies", "6", "--models", "3",
        "--repeat", "1", "--scales", "1,2"]
FIGURES = ("validate", "plan", "plan peak memory", "PyYAML CSafeLoader load of the inventory",
           "plan / PyYAML load", "render", "render floor (load inputs, write the same bytes)", "render / floor",
           "publish, first", "publish, no-op", "publish, one workload", "plan --base, one workload changed",
           "validate, filling the cache", "validate, warm, nothing changed", "plan --env, warm, nothing changed",
           "validate, warm, one workload changed", "plan --env, warm, one workload changed",
           "plan --base, warm, one workload changed", "publish, warm, no-op",
           "publish, warm, one workload changed, no validate before it",
           "pipeline: validate, warm, one workload changed", "pipeline: publish after that validate")


def test_bench_scale_prints_every_figure_at_every_scale(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "generator")}
    done = subprocess.run([sys.executable, str(BENCH / "bench_scale.py"), *TINY], capture_output=True, text=True,
                          check=False, timeout=900, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "exit " not in out, out  # benchlib.show_failure: an i4qew command failed
    sections = out.split("\n== ")
    scales = [s for s in sections if s.startswith(("1x:", "2x:"))]
    assert [s[:2] for s in scales] == ["1x", "2x"]
    assert "200 clusters across 2 hubs" in scales[0] and "400 clusters across 4 hubs" in scales[1]
    for section in scales:
        assert "[load average" in section.splitlines()[0]
        labels = [line.strip().split("  ")[0] for line in section.splitlines()[1:] if line.startswith("   ")
                  and not line.startswith("   changed") and not line.startswith("   generated")]
        assert labels == list(FIGURES), section
    growth = next(s for s in sections if s.startswith("growth from 1x"))
    assert all(f"2x / 1x: {label}" in growth for label in FIGURES)
    assert "load average at the end:" in out
