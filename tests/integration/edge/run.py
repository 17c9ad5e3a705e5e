"""Running the stager and the gate as the containers do: as programs, from their folder."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.tools import ROOT

EDGE = ROOT / "generator" / "i4qew" / "edge"
STAGER = EDGE / "stager.py"
GATE = EDGE / "gate.sh"
FAST = ["--backoff-initial", "0.01", "--backoff-max", "0.05", "--timeout", "20"]


def desired(root: Path, versions: list[dict[str, Any]], owner: str = "dev.models", keep: int | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": "edge.i4q.eu/v1alpha1", "kind": "ModelStaging", "owner": owner,
                           "root": str(root), "versions": versions}
    if keep is not None:
        doc["keepPrevious"] = keep
    return doc


def write_desired(doc: dict[str, Any], where: Path) -> Path:
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(json.dumps(doc, indent=2))
    return where


def _cmd(path: Path, args: list[str]) -> list[str]:
    # -S: no site-packages, so the stager can only use the standard library, as in python:3-alpine
    python = os.environ.get("I4QEW_STAGER_PYTHON", sys.executable)
    return [python, "-S", "-E", str(STAGER), "--desired", str(path), "--node", "edge-1", *args]


def stage(doc: dict[str, Any], work: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """One pass (--once) over ``doc``; the result carries the exit code and the log."""
    n = len(list(work.glob("desired-*.json")))
    path = write_desired(doc, work / f"desired-{n}.json")
    extra = list(args) if "--attempts" in args else ["--attempts", "3", *args]
    return subprocess.run(_cmd(path, ["--once", *FAST, *extra]), capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)


class Running:
    """A stager or gate process whose log lines can be awaited (bounded, no sleeps)."""

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     stdin=subprocess.DEVNULL, env=env)
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._q.put(line)
        self._q.put(None)

    def wait_line(self, needle: str, timeout: float = 60) -> str:
        for line in self.lines:
            if needle in line:
                return line
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._q.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"exited without logging {needle!r}:\n{''.join(self.lines)}")
            self.lines.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no {needle!r} within {timeout}s:\n{''.join(self.lines)}")

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        code = self.proc.wait(timeout)
        while (line := self._q.get(timeout=timeout)) is not None:
            self.lines.append(line)
        return code, "".join(self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def spawn(doc: dict[str, Any], work: Path, name: str, *args: str) -> Running:
    path = write_desired(doc, work / f"{name}.json")
    return Running(_cmd(path, [*FAST, *args]))


def gate(shell: list[str], root: Path, *triples: str, timeout: int = 0, env: dict[str, str] | None = None) -> Running:
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "I4QEW_MODEL_ROOT": str(root),
            "I4QEW_NODE_NAME": "edge-1", "I4QEW_GATE_TIMEOUT": str(timeout), **(env or {})}
    return Running([*shell, str(GATE), *triples], env=full)


def visible(root: Path) -> list[str]:
    """Everything a workload could mount: the tree without the stagers' bookkeeping."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".i4qew" not in p.relative_to(root).parts[:1])
