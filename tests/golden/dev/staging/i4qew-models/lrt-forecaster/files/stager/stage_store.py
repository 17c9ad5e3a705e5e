"""The model root on a node: version directories, readiness markers, locks, publishing.

Layout (docs/model-index.md):
    ROOT/MODEL/VERSION/...files...      complete and immutable once visible
    ROOT/MODEL/VERSION/.i4qew-ready     the readiness marker (written before the rename)
    ROOT/.i4qew/                        the stagers' bookkeeping: lock, locks/, tmp/, owners/, status/
A version becomes visible with one rename(2) of a finished, fsync'd tree that already holds
its marker, so no reader ever sees a half-written version.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from stage_log import log

MARKER = ".i4qew-ready"
FORMAT = "i4qew.model-ready/v1"
STATE = ".i4qew"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def state(self) -> Path:
        return self.root / STATE

    def version(self, model: str, version: str) -> Path:
        return self.root / model / version

    def work(self, model: str, version: str, digest: str) -> Path:
        return self.state / "tmp" / f"{model}@{version}@{digest[7:23]}"

    def prepare(self) -> None:
        for d in (self.root, self.state, *(self.state / s for s in ("locks", "tmp", "owners", "status", "trash"))):
            d.mkdir(mode=0o755, exist_ok=True)


def marker_text(model: str, version: str, digest: str, size: int, staged_by: str) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return (f"format={FORMAT}\nmodel={model}\nversion={version}\ndigest={digest}\nsize={size}\n"
            f"stagedAt={stamp}\nstagedBy={staged_by}\n")


def read_marker(version_dir: Path) -> dict[str, str] | None:
    try:
        text = (version_dir / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    if not lines or lines[0] != f"format={FORMAT}":
        return None
    return dict(line.split("=", 1) for line in lines if "=" in line)


def ready_digest(layout: Layout, model: str, version: str) -> str | None:
    m = read_marker(layout.version(model, version))
    if m is None or m.get("model") != model or m.get("version") != version:
        return None
    return m.get("digest")


def finish_tree(tree: Path, model: str, version: str, digest: str, staged_by: str) -> int:
    """fsync every file and directory of ``tree``, then write its marker; return the bytes in it."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in filenames:
            path = os.path.join(dirpath, name)
            total += os.path.getsize(path)
            _fsync(path, os.O_RDONLY)
        _fsync(dirpath, os.O_RDONLY | os.O_DIRECTORY)
        dirnames.sort()
    tmp = tree / (MARKER + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(marker_text(model, version, digest, total, staged_by))
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, tree / MARKER)
    _fsync(str(tree), os.O_RDONLY | os.O_DIRECTORY)
    return total


def publish(layout: Layout, model: str, version: str, tree: Path) -> None:
    """Make ``tree`` the version directory (caller holds the root lock)."""
    target = layout.version(model, version)
    target.parent.mkdir(mode=0o755, exist_ok=True)
    old = None
    if target.exists() or target.is_symlink():
        old = layout.state / "trash" / f"{model}@{version}@{os.getpid()}@{time.monotonic_ns()}"
        os.replace(target, old)
    os.chmod(tree, 0o755)
    os.replace(tree, target)
    _fsync(str(target.parent), os.O_RDONLY | os.O_DIRECTORY)
    if old is not None:
        remove(old)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _fsync(path: str, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def locked(path: Path, what: str, timeout: float) -> Iterator[None]:
    """Hold an exclusive flock on ``path``; wait (logged, bounded by ``timeout``) if another holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not try_lock(fd):
            log("info", f"waiting for {path.name}: another stager holds it", what)
            deadline, delay = time.monotonic() + timeout, 0.01
            while not try_lock(fd):
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{path} still locked after {timeout:.0f}s")
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def is_locked(path: Path) -> bool:
    """True when another process holds ``path``'s lock (a probe that takes and drops it)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        return not try_lock(fd)
    finally:
        os.close(fd)
