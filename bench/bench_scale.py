"""Issue 17: a fleet of several hubs at 1x, 2x and 5x a base size, as whole processes.

    python bench/bench_scale.py [--clusters 10000 --hubs 3 --workloads 2000 --policies 200 \\
        --models 40] [--scales 1,2,5] [--repeat 1] [--env dev]

Scale k multiplies every count of the base (clusters, hubs, workloads, policies,
models); at 5x the defaults are issue 17's fleet: 50,000 clusters across 15 hubs,
10,000 workloads, 1,000 policies, 200 models (bench/fleet.py --hubs). Per scale,
each a fresh process, wall time (best of --repeat):

* validate  `i4qew validate`;
* plan      `i4qew plan --env ENV -o /dev/null`, its peak memory (the largest process of
            its tree), and the ratio to PyYAML's C loader (CSafeLoader) just loading the
            same inventory files (timed inside a process that does nothing else);
* render    `i4qew render --env ENV -o DIR`, and the ratio to its floor: a process that
            loads the same inputs with i4qew's loaders (declarations, every hub's
            inventory) and writes the same bytes with plain writes;
* publish   against a local bare remote: the first publish, a no-op publish (nothing
            changed), and a publish after a commit that changes one workload's image;
* plan --base  `i4qew plan --env ENV --base HEAD~1` of that commit (a merge request's plan).

All of the above run without the persistent cache (I4QEW_CACHE_DIR=, docs/caching.md):
cold. Then, with a cache filled by one `validate` and one `plan --env` of the fleet (as
the default branch's pipeline leaves it), warm: `validate` and `plan --env` with nothing
changed, the same after the one-workload commit, and `plan --base HEAD~1` of it (what a
merge request's pipeline pays with its cache). And what the default branch's pipeline
pays to publish with that cache (its jobs share one: ci/templates/i4qew.yml): a no-op
publish, a publish of one more workload's change with the cache as the runs before left
it, and the pipeline's two jobs after another one: `validate`, then `publish` with the
cache validate just filled (it takes validate's answer: docs/caching.md).

Everything is written under /dev/shm when it exists (a tmpfs), as bench_render does.

Then each figure's growth from 1x. The machine's load average is printed with every
scale. Figures are printed, never asserted (targets: issue 17).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import benchlib
from bench_publish import IDENTITY, setup
from benchlib import figure, note, title
from fleet import FleetParams

SHM = Path("/dev/shm")
CACHE = "I4QEW_CACHE_DIR"
TARGETS = {"validate": 3.0, "plan": 4.0, "validate, warm, one workload changed": 3.0,
           "plan --env, warm, one workload changed": 4.0, "plan / PyYAML load": 0.25, "plan peak memory": 1536.0,
           "render / floor": 2.0, "publish, one workload": 2.0, "publish, no-op": 0.3, "publish, warm, no-op": 0.3,
           "publish, warm, one workload changed, no validate before it": 2.0,
           "pipeline: publish after that validate": 2.0}


def pyyaml_load(root: Path) -> int:
    """Child: the seconds PyYAML's C loader takes to load every inventory file (read first)."""
    import yaml

    texts = [p.read_text("utf-8") for p in sorted((root / "clusters").rglob("*.yaml"))]
    t0 = time.perf_counter()
    for text in texts:
        yaml.load(text, Loader=yaml.CSafeLoader)
    print(f"{time.perf_counter() - t0:.6f}")
    return 0


def floor(root: Path, rendered: Path, dest: Path) -> int:
    """Child: load the inputs as render does and write the bytes it wrote."""
    from i4qew.load.repo import load_declarations
    from i4qew.placement.inventory_load import load_inventory

    tree = {p.relative_to(rendered).as_posix(): p.read_bytes() for p in rendered.rglob("*") if p.is_file()}
    loaded = load_declarations(root)
    folders = sorted(p for p in (root / "clusters").iterdir() if p.is_dir())
    inventories = [load_inventory(root, folder=f"clusters/{p.name}") for p in folders] or [load_inventory(root)]
    for rel, data in tree.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
    return 0 if loaded and inventories else 1


def one_workload_commit(src: Path, which: int = 0) -> str:
    """Change the image tag of the `which`th workload file (by path); commit it. Its path."""
    from bench_publish import git

    path = sorted((src / "workloads").rglob("*.yaml"))[which]
    lines = path.read_text("utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("  image: "))
    lines[at] = lines[at].rstrip('"') + "-bench" + ('"' if lines[at].endswith('"') else "")
    path.write_text("\n".join(lines), "utf-8")
    git("commit", "-qam", "one workload", cwd=src)
    return path.relative_to(src).as_posix()


def measure(root: Path, env: str, repeat: int, work: Path) -> dict[str, float]:
    cli = benchlib.i4qew()
    me = [sys.executable, __file__]
    got: dict[str, float] = {}
    v = benchlib.best_run([*cli, "validate", "-C", str(root)], repeat)
    got["validate"] = v.seconds
    if v.code:
        benchlib.show_failure(v)
    p, mem = benchlib.peak_tree_memory([*cli, "plan", "-C", str(root), "--env", env, "-o", os.devnull])
    if p.code:
        benchlib.show_failure(p)
    got["plan"] = min(p.seconds, benchlib.best_run([*cli, "plan", "-C", str(root), "--env", env, "-o", os.devnull],
                                                    repeat - 1).seconds) if repeat > 1 else p.seconds
    got["plan peak memory"] = mem.largest
    y = benchlib.run([*me, "--pyyaml", str(root)])
    got["PyYAML CSafeLoader load of the inventory"] = float(y.stdout.strip() or "nan")
    got["plan / PyYAML load"] = got["plan"] / got["PyYAML CSafeLoader load of the inventory"]
    out = work / "render"
    r = benchlib.best_run([*cli, "render", "-C", str(root), "--env", env, "-o", str(out), "--source-commit", "0" * 40],
                          repeat)
    if r.code:
        benchlib.show_failure(r)
    got["render"] = r.seconds
    f = benchlib.best_run([*me, "--floor", str(root), str(out), str(work / "floor")], repeat)
    got["render floor (load inputs, write the same bytes)"] = f.seconds
    got["render / floor"] = r.seconds / f.seconds
    shutil.rmtree(work / "floor", ignore_errors=True)
    src, _ = setup(root, work, 0)
    first = benchlib.run([*cli, "publish", "-C", str(src), "--env", env, "--remote", "origin"])
    got["publish, first"] = first.seconds
    noop = benchlib.best_run([*cli, "publish", "-C", str(src), "--env", env, "--remote", "origin"], repeat)
    got["publish, no-op"] = noop.seconds
    note(f"changed {one_workload_commit(src)}")
    one = benchlib.run([*cli, "publish", "-C", str(src), "--env", env, "--remote", "origin"])
    got["publish, one workload"] = one.seconds
    # What a merge request's plan does: the change against its base (issue 17 item 2)
    base = benchlib.run([*cli, "plan", "-C", str(src), "--env", env, "--base", "HEAD~1", "-o", os.devnull])
    got["plan --base, one workload changed"] = base.seconds
    for run in (first, noop, one, base):
        if run.code:
            benchlib.show_failure(run)
    got.update(warm(root, src, env, repeat, work / "cache"))
    return got


def warm(root: Path, src: Path, env: str, repeat: int, cache: Path) -> dict[str, float]:
    """The figures with a persistent cache that the unchanged fleet filled; `src` holds the
    one-workload commit on top of the same files."""
    cli = benchlib.i4qew()
    os.environ[CACHE] = str(cache)
    try:
        runs = {"validate, filling the cache": benchlib.run([*cli, "validate", "-C", str(root)])}
        benchlib.run([*cli, "plan", "-C", str(root), "--env", env, "-o", os.devnull])
        for where, label in ((root, "nothing changed"), (src, "one workload changed")):
            runs[f"validate, warm, {label}"] = benchlib.best_run([*cli, "validate", "-C", str(where)], repeat)
            runs[f"plan --env, warm, {label}"] = benchlib.best_run(
                [*cli, "plan", "-C", str(where), "--env", env, "-o", os.devnull], repeat)
        runs["plan --base, warm, one workload changed"] = benchlib.best_run(
            [*cli, "plan", "-C", str(src), "--env", env, "--base", "HEAD~1", "-o", os.devnull], repeat)
        runs.update(warm_publish(src, env))
    finally:
        os.environ[CACHE] = ""
    for run in runs.values():
        if run.code:
            benchlib.show_failure(run)
    return {label: run.seconds for label, run in runs.items()}


def warm_publish(src: Path, env: str) -> dict[str, benchlib.Run]:
    """What the default branch's pipeline pays to publish, with the cache its jobs share
    (ci/templates/i4qew.yml: one key; publish needs validate). `src` is published up to its
    head (the cold one-workload publish) and the cache holds the validate and plan runs
    before: each change below is one more workload's image on top of the last publish."""
    cli = benchlib.i4qew()
    pub = [*cli, "publish", "-C", str(src), "--env", env, "--remote", "origin"]
    runs = {"publish, warm, no-op": benchlib.run(pub)}
    note(f"changed {one_workload_commit(src, 1)}")
    runs["publish, warm, one workload changed, no validate before it"] = benchlib.run(pub)
    note(f"changed {one_workload_commit(src, 2)}")
    # the pipeline: the validate job, then the publish job with the cache validate left
    runs["pipeline: validate, warm, one workload changed"] = benchlib.run([*cli, "validate", "-C", str(src)])
    runs["pipeline: publish after that validate"] = benchlib.run(pub)
    return runs


def show(got: dict[str, float]) -> None:
    for label, value in got.items():
        unit = "MB" if "memory" in label else "x" if "/" in label else "s"
        target = TARGETS.get(label)
        figure(label, value, unit=unit, target=None if target is None else f"<= {target:g}",
               met=None if target is None else value <= target)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.add_fleet_args(ap, workloads=2000, policies=200, models=40, clusters=10000)
    ap.add_argument("--hubs", type=int, default=3)
    ap.add_argument("--scales", default="1,2,5", help="multiples of the base size (default 1,2,5)")
    ap.add_argument("--env", default="dev")
    ap.add_argument("--pyyaml", type=Path, help=argparse.SUPPRESS)  # internal: the timed PyYAML load
    ap.add_argument("--floor", type=Path, nargs=3, help=argparse.SUPPRESS)  # internal: render's floor
    args = ap.parse_args(argv)
    if args.pyyaml:
        return pyyaml_load(args.pyyaml)
    if args.floor:
        return floor(*args.floor)
    os.environ.update(IDENTITY)
    os.environ[CACHE] = ""  # cold figures: no persistent cache (warm() sets one)
    base = FleetParams(args.workloads, args.policies, args.models, args.clusters, args.seed, hubs=args.hubs)
    results: dict[int, dict[str, float]] = {}
    for k in (int(s) for s in args.scales.split(",")):
        p = replace(base, workloads=base.workloads * k, policies=base.policies * k, models=base.models * k,
                    clusters=base.clusters * k, hubs=base.hubs * k)
        root = benchlib.fleet(p)
        title(f"{k}x: {p.clusters:,} clusters across {p.hubs} hubs, {p.workloads:,} workloads, "
              f"{p.policies:,} policies, {p.models} models (--env {args.env})")
        # on a tmpfs where there is one: a disk shared with other jobs swings write-heavy figures by seconds
        work = Path(tempfile.mkdtemp(prefix="i4qew-bench-scale-", dir=SHM if SHM.is_dir() and os.access(SHM, os.W_OK)
                                     else None))
        try:
            results[k] = measure(root, args.env, args.repeat, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        show(results[k])
    first = min(results)
    if len(results) > 1:
        title(f"growth from {first}x")
        for k, got in results.items():
            if k != first:
                for label, value in got.items():
                    figure(f"{k}x / {first}x: {label}", value / results[first][label], unit="x")
    load = os.getloadavg()
    note(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
