"""One hostile string in every string place of a Workload, judged in two rounds.

Round 1 writes one kitchen-sink workload per place (87 files, each named for its place)
into one repository and runs `validate` and `render --env dev` on it: every file that
holds a refused value gets problem lines naming it, and both commands exit 1. Round 2
keeps only the accepted files, which must validate and render cleanly (dev and
production: a base field that dev overrides only reaches production's chart). One
repository per round keeps the corpus to a handful of subprocesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.support.hostile.repo import (
    Slot,
    as_yaml,
    kitchen_sink,
    sink_slots,
    with_string,
    write_repo,
)
from tests.support.hostile.runner import TIMEOUT, accepted, problem_lines, run_i4qew

ENVS = ("dev", "production")
# Base fields the kitchen sink's dev environment overrides (so they reach production only).
DEV_OVERRIDES = frozenset(kitchen_sink()["spec"]["environments"]["dev"])


@dataclass
class SlotRun:
    text: str
    rejected: dict[Slot, list[str]] = field(default_factory=dict)  # problem lines of each refused place
    charts: dict[Slot, Path] = field(default_factory=dict)  # the chart in which each accepted place lands
    outputs: dict[str, Path] = field(default_factory=dict)  # env -> rendered tree


def file_of(n: int) -> str:
    return f"workloads/s{n:02d}.yaml"


def env_of(slot: Slot) -> str:
    """The environment whose chart shows the value at `slot`."""
    path = slot.path
    if path[:2] == ("spec", "environments"):
        return "dev"
    return "production" if len(path) > 1 and path[0] == "spec" and path[1] in DEV_OVERRIDES else "dev"


def run_every_slot(tmp: Path, text: str, *, half: int | None = None) -> SlotRun:
    """`text` in every place (or every other place, from `half` 0 or 1: two tests run in parallel)."""
    places = [p for i, p in enumerate(sink_slots()) if half is None or i % 2 == half]
    timeout = TIMEOUT if len(text) < 100_000 else 4 * TIMEOUT  # ~40 MB of YAML in one run
    files = {file_of(n): as_yaml(with_string(kitchen_sink(f"s{n:02d}", variant=v), slot, text))
             for n, (v, slot) in enumerate(places)}
    slot_of = {file_of(n): slot for n, (_, slot) in enumerate(places)}
    out = SlotRun(text)

    first = write_repo(tmp / "all", files)
    v = run_i4qew("validate", "-C", str(first), timeout=timeout)
    r = run_i4qew("render", "-C", str(first), "--env", "dev", "-o", str(tmp / "all-out"), timeout=timeout)
    if v.returncode == 0:
        accepted(v, "validate")
        accepted(r, "render")
    else:
        found = problem_lines(v, "validate")
        assert problem_lines(r, "render") == found, "render and validate disagree on the problems"
        assert not (tmp / "all-out").exists()
        for line in found:
            rel = line.split(":", 1)[0]
            assert rel in slot_of, f"a problem outside the hostile files: {line}"
            out.rejected.setdefault(slot_of[rel], []).append(line)

    kept = {rel: data for rel, data in files.items() if slot_of[rel] not in out.rejected}
    if not kept:
        return out
    second = write_repo(tmp / "kept", kept)
    accepted(run_i4qew("validate", "-C", str(second), timeout=timeout), "validate")
    for env in ENVS:
        dest = tmp / f"kept-{env}"
        accepted(run_i4qew("render", "-C", str(second), "--env", env, "-o", str(dest), timeout=timeout),
                 f"render --env {env}")
        out.outputs[env] = dest
    for rel, slot in slot_of.items():
        if rel in kept:
            name = Path(rel).stem
            out.charts[slot] = out.outputs[env_of(slot)] / "charts" / name
    return out
