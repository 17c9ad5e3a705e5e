"""Shared helpers of the bench scripts: cached fleets, timings, whole-process runs, output.

Bench scripts print figures and never fail on a missed target: their exit code is
non-zero only when the script itself breaks. A command that does not exist yet is
reported as such (exit 0), so `run_all.py` stays useful while i4qew grows.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from fleet import FleetParams, generate, write

# Every figure is cold (no persistent cache, docs/caching.md) unless a bench sets one for
# its warm figures (bench_scale.warm); the processes the benches start inherit this.
os.environ["I4QEW_CACHE_DIR"] = ""

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"
T = TypeVar("T")


def add_fleet_args(ap: argparse.ArgumentParser, *, workloads: int = 2000, policies: int = 200,
                   models: int = 50, clusters: int = 10000) -> None:
    ap.add_argument("--workloads", type=int, default=workloads)
    ap.add_argument("--policies", type=int, default=policies)
    ap.add_argument("--models", type=int, default=models)
    ap.add_argument("--clusters", type=int, default=clusters)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")


def params_from(args: argparse.Namespace, **overrides: object) -> FleetParams:
    p = FleetParams(args.workloads, args.policies, args.models, args.clusters, args.seed)
    return replace(p, **overrides)  # type: ignore[arg-type]


def fleet(params: FleetParams) -> Path:
    """The fleet's folder under bench/.cache, generated once per parameters and generator
    source; fleets of an older generator source are removed then."""
    source = hashlib.sha256()
    for src in sorted(BENCH.glob("fleet*.py")):
        source.update(src.read_bytes())
    version = source.hexdigest()[:10]
    key = hashlib.sha256(repr(params).encode()).hexdigest()[:10]
    dest = CACHE / f"fleet-{params.workloads}w-{params.clusters}c-{key}-{version}"
    if dest.is_dir():
        return dest
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob("fleet-*"):
        if not old.name.endswith(f"-{version}"):
            shutil.rmtree(old, ignore_errors=True)
    t0 = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=".fleet-", dir=CACHE))
    write(generate(params), staging, force=True)
    try:
        os.rename(staging, dest)
    except OSError:  # another run finished it first
        shutil.rmtree(staging, ignore_errors=True)
    note(f"generated {dest.name} in {time.perf_counter() - t0:.1f} s")
    return dest


@dataclass(frozen=True)
class Run:
    seconds: float
    code: int
    stdout: str
    stderr: str
    # ru_maxrss from wait4: the process and its waited-for children; it includes the RSS
    # the bench process had when it forked the child, so keep the bench process lean.
    max_rss_mb: float


def run(argv: Sequence[str], cwd: Path | None = None) -> Run:
    """Run one process to completion: wall time and its ru_maxrss (wait4, not RUSAGE_CHILDREN,
    so earlier children do not leak into the figure)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, proc.returncode, out.read().decode(errors="replace"),
                   err.read().decode(errors="replace"), usage.ru_maxrss / 1024)


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for children in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):  # the process may be gone already
                todo.extend(int(c) for c in children.read_text().split())
    return out


def _memory_kb(pid: int) -> tuple[int, int, int]:
    """(Pss, Rss, VmHWM) of one process in KiB; zeros once it is gone."""
    pss = rss = hwm = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return pss, rss, hwm


@dataclass(frozen=True)
class Memory:
    """Peaks of a process tree, MiB. `largest` is the biggest single process's own high-water
    mark (VmHWM: unlike ru_maxrss it does not inherit the RSS the bench process had when it
    forked); `pss` and `rss` are the tree's sampled sums (RSS counts pages a fork shares twice)."""

    largest: float
    pss: float
    rss: float
    processes: int


def peak_tree_memory(argv: Sequence[str], cwd: Path | None = None, interval: float = 0.005) -> tuple[Run, Memory]:
    """Run once while sampling the whole process tree (the command may fork helpers)."""
    import threading

    peak = [0, 0]
    hwm: dict[int, int] = {}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, cwd=cwd)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                totals = {p: _memory_kb(p) for p in _descendants(proc.pid)}
                peak[0] = max(peak[0], sum(t[0] for t in totals.values()))
                peak[1] = max(peak[1], sum(t[1] for t in totals.values()))
                for p, t in totals.items():
                    hwm[p] = max(hwm.get(p, 0), t[2])
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        r = Run(seconds, proc.returncode, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), usage.ru_maxrss / 1024)
    return r, Memory(max(hwm.values(), default=0) / 1024, peak[0] / 1024, peak[1] / 1024, len(hwm))


def best_run(argv: Sequence[str], repeat: int, cwd: Path | None = None) -> Run:
    runs = [run(argv, cwd) for _ in range(max(1, repeat))]
    return min(runs, key=lambda r: r.seconds)


def best(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    """Best wall time of `repeat` calls, and the last result."""
    times: list[float] = []
    result: T
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


@contextlib.contextmanager
def timed_stages(stages: Sequence[tuple[str, str, str]], totals: dict[str, float]) -> Iterator[None]:
    """Within the block, calls of each `module.function` add their wall time to totals[label].

    Wraps the module attribute, so it times calls made through that name (a `from m import f`
    executed inside a function body, or a call through the module). Missing names are skipped."""
    saved: list[tuple[Any, str, Any]] = []
    for module_name, attr, label in stages:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        original = getattr(module, attr, None)
        if original is None:
            continue

        def wrapper(*a: Any, _f: Callable[..., Any] = original, _l: str = label, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                totals[_l] = totals.get(_l, 0.0) + time.perf_counter() - t0

        saved.append((module, attr, original))
        setattr(module, attr, wrapper)
    try:
        yield
    finally:
        for module, attr, original in saved:
            setattr(module, attr, original)


def i4qew() -> list[str]:
    """The console script users run (next to this interpreter), else `python -m i4qew`."""
    script = Path(sys.executable).parent / "i4qew"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "i4qew"]


def has_command(name: str) -> bool:
    """True when `i4qew NAME` is registered and its module exists."""
    try:
        from i4qew.cli.main import COMMANDS
    except ImportError:
        return False
    module = COMMANDS.get(name)
    return module is not None and importlib.util.find_spec(f"i4qew.cli.{module}") is not None


def missing(what: str) -> int:
    print(f"SKIPPED: {what} does not exist yet; nothing to measure.")
    return 0


def title(text: str) -> None:
    load1, _, _ = os.getloadavg()
    print(f"\n== {text}   [load average {load1:.1f} on {os.cpu_count()} cores]")


def note(text: str) -> None:
    print(f"   {text}")


def figure(label: str, value: float, unit: str = "s", target: str | None = None,
           met: bool | None = None) -> None:
    shown = f"{value:8.3f} {unit}" if unit == "s" else f"{value:8.2f} {unit}"
    verdict = "" if target is None else f"  target {target}: {'met' if met else 'NOT MET'}"
    print(f"   {label:<64} {shown}{verdict}")


def show_failure(r: Run, limit: int = 15) -> None:
    lines = (r.stdout + r.stderr).strip().splitlines()
    note(f"exit {r.code}; first lines of the output:")
    for line in lines[:limit]:
        note(f"  | {line}")
