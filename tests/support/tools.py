"""Where the real tools and shared fixtures are; tests skip with a reason when absent."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    return Path(os.environ.get("I4QEW_SHARED", ROOT.parent / "shared")).resolve()


def crds_dir() -> Path:
    d = shared_dir() / "schemas" / "crds"
    if not d.is_dir():
        pytest.skip(f"ACM/OCM CRDs not found at {d} (set I4QEW_SHARED to the shared/ folder)")
    return d


def helm(major: int) -> str:
    """Path of the Helm 3 or Helm 4 binary installed by .ci/install-helm."""
    env = os.environ.get(f"I4QEW_HELM{major}")
    candidates = [env] if env else []
    candidates.append(str(ROOT / ".tools" / f"helm-v{major}" / "helm"))
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    pytest.skip(f"Helm {major} not installed (run .ci/install-helm)")


def require(program: str) -> str:
    found = shutil.which(program)
    if not found:
        pytest.skip(f"{program} is not installed")
    return found


def tree_of(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative POSIX path: a rendered tree as read back."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A size-limited tmpfs of the test's own at ``where`` (a real full disk); skips without root."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("filling a disk needs a tmpfs of our own, and mounting one needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
