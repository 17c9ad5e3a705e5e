"""bench/bench_page.py at a small size, so the browser bench cannot rot between full runs.

The figures are not asserted (a loaded CI machine is not a benchmark); that the
script runs, measures in the browser and sees no request is.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from bench.headless import missing

from tests.support.tools import ROOT

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")


def test_the_page_bench_runs_small() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_page.py"), "--workloads", "30",
                           "--policies", "10", "--models", "5", "--clusters", "200", "--repeat", "1"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "chromium: navigation -> load event (best)" in done.stdout
    assert "requests besides the page: 0" in done.stdout
    assert "matrix rows in the page: 30; sites: " in done.stdout
