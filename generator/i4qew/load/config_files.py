"""Read the files workloads mount (spec.config.files), behind the path guard.

A reference must be a relative path to a regular file inside the repository:
no absolute paths, no `..` escape, no symlinks anywhere on the way, bounded size.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from i4qew.load.files import decode, inside
from i4qew.model import Repo
from i4qew.problems import Problem

MAX_CONFIG_BYTES = 512 * 1024  # a ConfigMap holds at most 1 MiB in total


def _symlink_on_the_way(root: Path, rel: PurePosixPath) -> bool:
    here = root
    for part in rel.parts:
        here = here / part
        if here.is_symlink():
            return True
    return False


def read_config_files(root: Path, repo: Repo) -> tuple[dict[str, str], list[Problem]]:
    files: dict[str, str] = {}
    problems: list[Problem] = []
    for w in repo.workloads:
        config = w.spec.get("config") or {}
        for name, ref in sorted((config.get("files") or {}).items()):
            path = ("spec", "config", "files", name)
            rel = PurePosixPath(ref)
            if rel.is_absolute() or ".." in rel.parts or "\\" in ref or not ref:
                problems.append(w.doc.problem(path, "config-file", f"{ref!r} must be a relative path inside the repository, without '..'"))
                continue
            target = root / rel
            if _symlink_on_the_way(root, rel) or not inside(root, target):
                problems.append(w.doc.problem(path, "config-file", f"{ref!r} is or passes through a symlink; i4qew reads no symlinks"))
                continue
            if target.is_dir():
                problems.append(w.doc.problem(path, "config-file", f"{ref!r} is a folder; name one file per config entry"))
                continue
            if not target.is_file():
                problems.append(w.doc.problem(path, "config-file", f"{ref!r} does not exist in the repository"))
                continue
            size = target.stat().st_size
            if size > MAX_CONFIG_BYTES:
                problems.append(w.doc.problem(path, "config-file", f"{ref!r} is {size:,} bytes; a ConfigMap file may be at most {MAX_CONFIG_BYTES:,}"))
                continue
            got = decode(ref, target.read_bytes())
            if isinstance(got, Problem):
                problems.append(w.doc.problem(path, "config-file", f"{ref!r}: {got.message}"))
                continue
            files[str(rel)] = got.text
    return files, problems
