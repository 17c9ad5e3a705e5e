"""Issue 2: `i4qew validate` on 2,000 workloads + 200 policies + 50 models, whole process.

    python bench/bench_validate.py [--workloads 2000 --policies 200 --models 50 --clusters 10000]

Prints, best of --repeat runs: the interpreter's own start-up, `i4qew --version`
(start-up of the CLI), validate of the declarations alone (the issue's target,
< 1.5 s) and validate of the same repo with its cluster inventory under clusters/
(the placement checks then run too); then the time per stage, in-process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import benchlib
from benchlib import figure, note, title

# (module, function, label): the stages of the validation pipeline, timed by wrapping
# the names validation.py calls; nested ones are indented. Missing names are skipped.
STAGES = (
    ("i4qew.validation", "load_declarations", "load (discover, read, parse)"),
    ("i4qew.load.repo", "parse", "  of which YAML parse"),
    ("i4qew.validation", "check_document", "schema (JSON Schema per document)"),
    ("i4qew.validation", "build_repo", "build (documents -> Repo)"),
    ("i4qew.validation", "read_config_files", "config files"),
    ("i4qew.validation", "run_rules", "rules"),
    ("i4qew.placement.checks", "inventory_problems", "inventory + placement checks"),
    ("i4qew.placement.checks", "load_inventory", "  of which inventory load"),
)


def stages(root: Path, repeat: int) -> None:
    from i4qew.validation import validate_repo

    validate_repo(root)  # warm: lazy imports and caches are not what the stages cost
    best: dict[str, float] = {}
    best_total = float("inf")
    for _ in range(max(1, repeat)):
        totals: dict[str, float] = {}
        with benchlib.timed_stages(STAGES, totals):
            t0 = time.perf_counter()
            validate_repo(root)
            total = time.perf_counter() - t0
        if total < best_total:
            best_total, best = total, totals
    figure("validate_repo in-process (warm), total", best_total)
    for _, _, label in STAGES:
        if label in best:
            figure(f"  {label}", best[label])
    top = sum(v for k, v in best.items() if not k.startswith("  "))
    figure("  other (pipeline glue, sorting problems)", best_total - top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.add_fleet_args(ap)
    args = ap.parse_args(argv)
    title(f"validate: {args.workloads} workloads, {args.policies} policies, {args.models} models")
    bare = benchlib.fleet(benchlib.params_from(args, inventory=False))
    full = benchlib.fleet(benchlib.params_from(args))
    cli = benchlib.i4qew()
    figure("python -c pass (interpreter start-up)", benchlib.best_run([sys.executable, "-c", "pass"], args.repeat).seconds)
    figure("i4qew --version (CLI start-up)", benchlib.best_run([*cli, "--version"], args.repeat).seconds)
    for label, root, target in (("i4qew validate, declarations only", bare, 1.5),
                                (f"i4qew validate, with {args.clusters} clusters in clusters/", full, None)):
        r = benchlib.best_run([*cli, "validate", "-C", str(root)], args.repeat)
        if target is None:
            figure(label, r.seconds)
        else:
            figure(label, r.seconds, target=f"< {target} s", met=r.seconds < target)
        if r.code != 0:
            benchlib.show_failure(r)
    note(f"fleet: {bare}")
    title("validate stages, in-process, declarations only")
    stages(bare, args.repeat)
    title(f"validate stages, in-process, with {args.clusters} clusters")
    stages(full, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
