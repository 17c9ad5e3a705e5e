"""Run every bench script, with small defaults unless told otherwise.

    python bench/run_all.py                 # small fleet: quick, for CI and smoke runs
    python bench/run_all.py --full          # the issues' sizes (2,000 workloads, 10,000 clusters;
                                            # bench_scale: 1x, 2x, 5x up to 50,000 clusters, 15 hubs)

Figures are printed, never asserted. The exit code is non-zero only when a script
itself broke (a traceback, a bad argument), not when a target is missed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
FLEET_SMALL = ["--workloads", "200", "--policies", "20", "--models", "10", "--clusters", "1000", "--repeat", "1"]
# script -> its arguments for a small run
SCRIPTS = {
    "bench_validate.py": FLEET_SMALL,
    "bench_render.py": FLEET_SMALL,
    "bench_charts.py": ["--workloads", "200", "--repeat", "1"],
    "bench_publish.py": FLEET_SMALL,
    "bench_plan.py": FLEET_SMALL,
    "bench_page.py": FLEET_SMALL,
    "bench_scale.py": ["--clusters", "600", "--hubs", "2", "--workloads", "60", "--policies", "12", "--models", "4",
                       "--repeat", "1", "--scales", "1,2"],
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="the issues' sizes and best of 3")
    ap.add_argument("only", nargs="*", help="script names to run (default: all)")
    args = ap.parse_args(argv)
    broken: list[str] = []
    for script, small in SCRIPTS.items():
        if args.only and not any(name in script for name in args.only):
            continue
        if not (BENCH / script).is_file():
            print(f"   ({script} is not there; skipped)")
            continue
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, str(BENCH / script), *([] if args.full else small)], check=False)
        print(f"   ({script}: {time.perf_counter() - t0:.0f} s, exit {done.returncode})", flush=True)
        if done.returncode != 0:
            broken.append(script)
    if broken:
        print(f"\nbroken bench scripts: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
