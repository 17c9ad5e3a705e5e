"""Run i4qew as a user does (a subprocess, bounded in time) and judge its output.

The contract for hostile input (SPEC §4): exit 1 with problem lines, or exit 0 with
output that is safe; never a traceback, never a hang.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from tests.support.tools import ROOT, helm

# One problem line exactly as the brief states it (info lines are not used by validate).
LINE = re.compile(r"^[^:]+:\d+:\d+: (error|warning) \[[a-z0-9-]+\] .+$")
SUMMARY = re.compile(r"^\d+ files? checked: \d+ errors?, \d+ warnings?$")
# The bound on one i4qew run is CPU time, so a busy machine (CI on 2 shared cores) does
# not fail a run that merely waited for a core: every corpus input needs well under one
# CPU second. The wall-clock limit, WALL_FACTOR times longer, still ends a hang that
# spends no CPU (a sleep, a blocked read).
TIMEOUT = 20  # CPU seconds
WALL_FACTOR = 15
# Sets the CPU limit (inherited by every child) and becomes the command: SIGXCPU ends it.
_CPU_LIMITED = ("import os, resource, sys; limit = int(sys.argv[1]); "
                "resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1)); os.execv(sys.argv[2], sys.argv[2:])")
# A problem line quotes at most a shortened value: a 1 MB string must not come back whole.
MAX_LINE = 1000


def run_i4qew(*args: str, env: Mapping[str, str] | None = None, timeout: float = TIMEOUT,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`i4qew ARGS` in a fresh interpreter, at most `timeout` CPU seconds (then killed by
    SIGXCPU: a negative exit code fails the test) and WALL_FACTOR times that in wall time
    (TimeoutExpired fails the test that waits)."""
    return run_i4qew_with([sys.executable, "-m", "i4qew"], *args, env=env, timeout=timeout, cwd=cwd)


def run_i4qew_with(command: list[str], *args: str, env: Mapping[str, str] | None = None, timeout: float = TIMEOUT,
                   cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("I4QEW_", "CI_", "GITLAB_"))}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT / "generator"), base.get("PYTHONPATH", "")])
    base["PYTHONUTF8"] = "1"
    # the persistent cache off (docs/caching.md): these runs judge the input, and a pack left in
    # ~/.cache by other runs would be read whole, which the peak-memory guard would blame on the input
    base["I4QEW_CACHE_DIR"] = ""
    limited = [sys.executable, "-c", _CPU_LIMITED, str(math.ceil(timeout)), *command]
    return subprocess.run([*limited, *args], capture_output=True, text=True, encoding="utf-8",
                          timeout=timeout * WALL_FACTOR, env={**base, **(env or {})}, cwd=cwd, check=False)


# Linux carries a parent's peak memory into a child it forks and execs, so a child of
# pytest (100+ MB) would report pytest's peak: a small interpreter forks i4qew instead.
_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[3:], timeout=float(sys.argv[2]))
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(done.returncode)
"""


def run_measured(*args: str, timeout: float = TIMEOUT) -> tuple[subprocess.CompletedProcess[str], int]:
    """`run_i4qew`, and i4qew's peak resident memory in KiB: a guard that read a
    100 MB file into memory would show it here."""
    with tempfile.TemporaryDirectory() as tmp:
        peak = Path(tmp) / "peak"
        done = run_i4qew_with([sys.executable, "-c", _MEASURE, str(peak), str(timeout * WALL_FACTOR),
                               sys.executable, "-m", "i4qew"], *args, timeout=timeout)
        return done, int(peak.read_text())


def problem_lines(done: subprocess.CompletedProcess[str], command: str) -> list[str]:
    """The problem lines of a refused run; asserts the refusal is well-formed."""
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert done.returncode == 1, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    out = done.stdout.splitlines()
    if command == "validate":
        assert out and SUMMARY.match(out[-1]), done.stdout
        out = out[:-1]
    assert out, f"{command} refused without a problem line:\n{done.stderr}"
    bad = [line for line in out if not LINE.match(line)]
    assert not bad, f"{command}: not problem lines: {bad[:3]}"
    assert all(len(line) <= MAX_LINE for line in out), f"{command}: a problem line of {max(map(len, out))} characters"
    assert "[internal-error]" not in done.stdout, done.stdout
    assert done.stderr == "", done.stderr
    return out


def accepted(done: subprocess.CompletedProcess[str], command: str) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def validate_and_render(root: Path, out: Path) -> tuple[list[str] | None, list[str] | None]:
    """Problem lines of `validate` and `render --env dev` (None where the command succeeded).
    Both must agree on whether the repository is refused."""
    v = run_i4qew("validate", "-C", str(root))
    r = run_i4qew("render", "-C", str(root), "--env", "dev", "-o", str(out))
    if v.returncode == 0:
        accepted(v, "validate")
        accepted(r, "render")
        return None, None
    found = problem_lines(v, "validate")
    rendered = problem_lines(r, "render")
    assert rendered == found, "render and validate disagree on the problems"
    assert not out.exists(), "a refused render wrote output"
    return found, rendered


# --- the tools the output must satisfy ----------------------------------------------------------

def tool(*cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def helm_lint(charts: Sequence[Path]) -> None:
    """`helm lint --strict` (Helm 4) over several charts in one call."""
    done = tool(helm(4), "lint", "--strict", *map(str, charts))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(charts)} chart(s) linted, 0 chart(s) failed" in done.stdout + done.stderr


def helm_template(chart: Path, release: str = "rel", namespace: str = "ns") -> list[dict[str, Any]]:
    """The objects Helm 4 renders, read back with a YAML 1.1 reader (as Kubernetes' Go
    YAML would): a string that comes back as a bool or a number was not quoted."""
    done = tool(helm(4), "template", release, str(chart), "--namespace", namespace)
    assert done.returncode == 0, done.stdout + done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def strings(value: Any) -> list[str]:
    """Every string (keys included) of parsed YAML."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []
