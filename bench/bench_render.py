"""Issue 3: rendering 2,000 workloads vs loading the same inputs and writing the same bytes.

    python bench/bench_render.py [--workloads 2000 --policies 200 --models 50 --clusters 10000]

Both sides run in this process, side by side, best of --repeat:

* render   = what `i4qew render --env ENV -o DIR` does: validate the repository,
             load the inventory, `render_tree`, `write_tree` (the path-guarded writer);
* baseline = load the same inputs (i4qew's loaders: every declaration file and the
             inventory read and parsed) and write the same output bytes with plain
             `open().write()` calls into a fresh folder.

Target: render / baseline <= 2.5. The whole-process `i4qew render` time is printed too.
Outputs go to --out-dir (default: /dev/shm when it exists, a tmpfs): on a disk shared
with other jobs, write-back stalls of 18,000 files swing either side by seconds.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib
from benchlib import figure, note, title

TARGET_RATIO = 2.5
# Stages of the render side, timed in one extra run (see benchlib.timed_stages).
STAGES = (
    ("i4qew.validation", "validate_repo", "validate_repo"),
    ("i4qew.placement.inventory_load", "load_inventory", "load_inventory"),
    ("i4qew.compile.render", "render_tree", "render_tree"),
    ("i4qew.compile.hub.subscription", "compile_hub", "  hub resources"),
    ("i4qew.placement.snapshot", "placement_files", "  placement snapshot + model index"),
    ("i4qew.compile.chart.charts", "compile_charts", "  charts"),
    ("i4qew.compile.readme", "render_readme", "  README"),
    ("i4qew.emit", "write_tree", "write_tree"),
)


def cold() -> None:
    """Forget what an earlier run in this process parsed or decided (every cache of
    i4qew.memo: the inventory, the planner, the memoized quantities and selectors), so
    every timed run, render and baseline alike, starts from scratch as a fresh
    `i4qew` process does."""
    from i4qew import memo

    memo.clear()


def render_in_process(root: Path, env: str, dest: Path) -> dict[str, bytes]:
    from i4qew.compile.render import render_tree
    from i4qew.emit import write_tree
    from i4qew.placement.inventory_load import load_inventory
    from i4qew.validation import validate_repo

    result = validate_repo(root)
    if not result.ok or result.repo is None:
        raise SystemExit(f"bench_render: the fleet does not validate: {result.problems[:3]}")
    inventory, _ = load_inventory(root)
    tree = render_tree(result.repo, env, inventory=inventory, source_commit="0" * 40)
    write_tree(tree, dest)
    return dict(tree)


def baseline(root: Path, tree: dict[str, bytes], dest: Path) -> Any:
    from i4qew.load.repo import load_declarations
    from i4qew.placement.inventory_load import load_inventory

    loaded = (load_declarations(root), load_inventory(root))
    for rel, data in tree.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
    return loaded


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.add_fleet_args(ap)
    ap.add_argument("--env", default="dev")
    shm = Path("/dev/shm")
    ap.add_argument("--out-dir", type=Path, default=shm if shm.is_dir() and os.access(shm, os.W_OK) else None,
                    help="where the outputs are written (default: /dev/shm if available, else the temp dir)")
    args = ap.parse_args(argv)
    title(f"render --env {args.env}: {args.workloads} workloads, {args.clusters} clusters")
    try:
        from i4qew.compile.render import render_tree  # noqa: F401
    except ImportError as exc:
        return benchlib.missing(f"i4qew.compile.render.render_tree ({exc})")
    root = benchlib.fleet(benchlib.params_from(args))
    work = Path(tempfile.mkdtemp(prefix="i4qew-bench-render-", dir=args.out_dir))
    note(f"outputs written under {work}")
    try:
        dest = work / "out"
        t_render = t_base = float("inf")
        tree: dict[str, bytes] = {}
        # Alternate the two sides so a burst of load on the machine hits both alike;
        # each output is removed (untimed) before the next run writes a fresh one.
        # Both sides run as the CLI runs: cold caches and no cyclic GC (cli.main
        # disables it for the short-lived process).
        gc.disable()
        for _ in range(max(1, args.repeat)):
            cold()
            t0 = time.perf_counter()
            tree = render_in_process(root, args.env, dest)
            t_render = min(t_render, time.perf_counter() - t0)
            shutil.rmtree(dest)
            cold()
            t0 = time.perf_counter()
            baseline(root, tree, dest)
            t_base = min(t_base, time.perf_counter() - t0)
            shutil.rmtree(dest)
        gc.enable()
        size = sum(len(b) for b in tree.values())
        note(f"output: {len(tree)} files, {size / 1e6:.1f} MB")
        figure("render (validate + inventory + render_tree + write_tree)", t_render)
        figure("baseline (load inputs + plain file writes of the same bytes)", t_base)
        ratio = t_render / t_base
        figure("ratio render / baseline", ratio, unit="x", target=f"<= {TARGET_RATIO}x", met=ratio <= TARGET_RATIO)
        totals: dict[str, float] = {}
        with benchlib.timed_stages(STAGES, totals):
            render_in_process(root, args.env, dest)
        shutil.rmtree(dest)
        note("render stages (one more run):")
        for _, _, label in STAGES:
            if label in totals:
                figure(f"  {label}", totals[label])
        if benchlib.has_command("render"):
            r = benchlib.run([*benchlib.i4qew(), "render", "-C", str(root), "--env", args.env,
                              "-o", str(dest), "--source-commit", "0" * 40])
            figure("i4qew render, whole process (one run)", r.seconds)
            if r.code != 0:
                benchlib.show_failure(r)
        else:
            note("the `i4qew render` command does not exist yet: no whole-process figure")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
