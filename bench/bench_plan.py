"""Issue 5: `i4qew plan` on 10,000 clusters x 2,000 workloads x 200 policies.

    python bench/bench_plan.py [--workloads 2000 --policies 200 --models 50 --clusters 10000]

The inventory is one `kind: List` file, clusters/managedclusters.yaml, as
`kubectl get managedclusters -o yaml` prints it. Side by side, in one run:

* PyYAML's C loader alone loading that file (`yaml.load(f, Loader=yaml.CSafeLoader)`,
  in this process; best of --loader-repeat);
* `i4qew plan --env ENV` as a whole process (best of --repeat);
* the peak memory of the plan: the largest process's high-water mark and the
  whole process tree's peak PSS/RSS (plan may fork a helper to parse the
  inventory), sampled in a separate run so the sampling does not slow the
  timed ones. The loads run in child processes so the bench stays small.

Targets: plan < 2 s; plan <= half the C loader's time; peak memory < 500 MB.
For reference it also prints yaml-rs and json loads, and plan with the JSON inventory.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import benchlib
from benchlib import figure, note, title

TARGET_SECONDS = 2.0
TARGET_MB = 500.0


def _load(path: Path, how: str) -> object:
    if how == "pyyaml-c":
        import yaml

        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=yaml.CSafeLoader)
    if how == "yaml-rs":
        import yaml_rs

        return yaml_rs.loads(path.read_text(encoding="utf-8"), parse_datetime=False)
    return json.loads(path.read_bytes())


def load_here(path: Path, how: str, repeat: int) -> int:
    """Internal mode: time the load in this (fresh) process and print the best seconds."""
    seconds, data = benchlib.best(repeat, lambda: _load(path, how))
    if not (isinstance(data, dict) and data.get("kind") == "List"):
        print(f"{path} is not a kind: List", file=sys.stderr)
        return 1
    print(f"{seconds:.6f}")
    return 0


def load_seconds(path: Path, how: str, repeat: int) -> float:
    """The load is timed in a child process so the bench process stays small: a child forked
    from a big parent would report the parent's memory as its own ru_maxrss."""
    r = benchlib.run([sys.executable, __file__, "--load", how, str(path), "--repeat", str(repeat)])
    if r.code:
        raise SystemExit(f"bench_plan: loading {path} with {how} failed: {r.stderr.strip()[-500:]}")
    return float(r.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.add_fleet_args(ap)
    ap.add_argument("--env", default="dev")
    ap.add_argument("--loader-repeat", type=int, default=1, help="runs of the (slow) PyYAML load")
    ap.add_argument("--load", nargs=2, metavar=("HOW", "FILE"), help=argparse.SUPPRESS)  # internal
    args = ap.parse_args(argv)
    if args.load:
        return load_here(Path(args.load[1]), args.load[0], args.repeat)
    title(f"plan --env {args.env}: {args.clusters} clusters, {args.workloads} workloads, {args.policies} policies")
    root = benchlib.fleet(benchlib.params_from(args, inventory_json=True))
    inventory = root / "clusters" / "managedclusters.yaml"
    note(f"inventory: {inventory.stat().st_size / 1e6:.1f} MB ({inventory})")
    if not benchlib.has_command("plan"):
        return benchlib.missing("the `i4qew plan` command")
    t_c = load_seconds(inventory, "pyyaml-c", args.loader_repeat)
    cmd = [*benchlib.i4qew(), "plan", "-C", str(root), "--env", args.env, "--format", "json"]
    r = benchlib.best_run(cmd, args.repeat)
    figure("PyYAML CSafeLoader, load of the inventory alone", t_c)
    figure("i4qew plan, whole process", r.seconds, target=f"< {TARGET_SECONDS} s", met=r.seconds < TARGET_SECONDS)
    ratio = r.seconds / t_c
    figure("ratio plan / CSafeLoader load", ratio, unit="x", target="<= 0.5x", met=ratio <= 0.5)
    if r.code != 0:
        benchlib.show_failure(r)
    else:
        try:
            plan = json.loads(r.stdout)
            note(f"plan output: {len(r.stdout) / 1e6:.1f} MB of JSON, top-level keys {sorted(plan)[:6]}")
        except ValueError:
            note("plan --format json did not print JSON")
    run, mem = benchlib.peak_tree_memory(cmd)
    figure(f"peak memory, largest plan process (VmHWM; {mem.processes} processes)", mem.largest, unit="MB",
           target=f"< {TARGET_MB:.0f} MB", met=mem.largest < TARGET_MB)
    figure("peak memory, process tree summed PSS (sampled)", mem.pss, unit="MB",
           target=f"< {TARGET_MB:.0f} MB", met=mem.pss < TARGET_MB)
    figure("  for reference: process tree summed RSS (sampled)", mem.rss, unit="MB")
    figure("  for reference: ru_maxrss of the plan process (wait4)", run.max_rss_mb, unit="MB")
    title("for reference")
    figure("yaml-rs load of the inventory", load_seconds(inventory, "yaml-rs", args.repeat))
    figure("json load of the same inventory (-o json)", load_seconds(root / "inventory.json", "json", args.repeat))
    rj = benchlib.best_run([*cmd, "--inventory", str(root / "inventory.json")], args.repeat)
    figure("i4qew plan --inventory inventory.json, whole process", rj.seconds)
    if rj.code != 0:
        benchlib.show_failure(rj)
    t0 = time.perf_counter()
    rv = benchlib.run([*benchlib.i4qew(), "validate", "-C", str(root)])
    figure("i4qew validate of the same repo, whole process (one run)", time.perf_counter() - t0)
    if rv.code != 0:
        benchlib.show_failure(rv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
