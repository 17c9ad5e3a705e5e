"""How much the Helm charts cost in a render of a large repository.

    python bench/bench_charts.py [--workloads 2000] [--env dev] [--repeat 3]

Generates the synthetic fleet (bench/fleet.py, no inventory) in a temporary
folder, then times, best of --repeat:

    read      plain reads of every input file (the floor of "loading the inputs")
    load      i4qew.validation.validate_repo (what a render really starts with)
    charts    compile_charts(repo, env)
    write     plain writes of the chart tree's bytes into a fresh folder

and prints the per-chart cost and the ratios the performance target is about.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from i4qew.compile import Tree
from i4qew.compile.chart.charts import compile_charts
from i4qew.validation import validate_repo

T = TypeVar("T")
HERE = Path(__file__).resolve().parent


def best(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), result


def read_all(root: Path) -> int:
    return sum(len(p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file())


def write_plain(tree: Tree, dest: Path) -> int:
    if dest.exists():
        shutil.rmtree(dest)
    for path, data in tree.items():
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return len(tree)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", type=int, default=2000)
    ap.add_argument("--env", default="dev")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="i4qew-bench-") as tmp:
        repo_dir, out_dir = Path(tmp) / "repo", Path(tmp) / "out"
        subprocess.run([sys.executable, str(HERE / "fleet.py"), str(repo_dir), "--workloads", str(args.workloads),
                        "--no-inventory", "--force"], check=True, stdout=subprocess.DEVNULL)
        t_read, size = best(args.repeat, lambda: read_all(repo_dir))
        t_load, validation = best(args.repeat, lambda: validate_repo(repo_dir))
        if not validation.ok or validation.repo is None:
            print("\n".join(str(p) for p in validation.problems), file=sys.stderr)
            return 1
        repo = validation.repo
        t_charts, tree = best(args.repeat, lambda: compile_charts(repo, args.env))
        t_write, files = best(args.repeat, lambda: write_plain(tree, out_dir))
    charts = sum(1 for p in tree if p.endswith("/Chart.yaml"))
    out_bytes = sum(map(len, tree.values()))
    print(f"inputs: {args.workloads} workloads, {size / 1e6:.1f} MB; output: {charts} charts, {files} files, {out_bytes / 1e6:.1f} MB")
    print(f"read inputs     {t_read * 1e3:8.1f} ms")
    print(f"validate_repo   {t_load * 1e3:8.1f} ms")
    print(f"compile_charts  {t_charts * 1e3:8.1f} ms  ({t_charts / charts * 1e6:.0f} µs per chart)")
    print(f"write output    {t_write * 1e3:8.1f} ms")
    print(f"charts / (read + write)                          = {t_charts / (t_read + t_write):.2f}")
    print(f"(load + charts + write) / (load + write)         = {(t_load + t_charts + t_write) / (t_load + t_write):.2f}")
    print(f"(load + charts + write) / (read + write)         = {(t_load + t_charts + t_write) / (t_read + t_write):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
