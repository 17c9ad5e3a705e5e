"""Safe placement of verified blobs into a version tree: a raw file at a relative path, or a
tar archive (plain or gzip) of regular files and directories only.

Written for Python 3.11.2 (no tarfile extraction filters): every name is checked here, and
links, devices and names that climb out of the tree or shadow the marker are refused.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath

from stage_net import FetchError, no_space

RESERVED = ".i4qew"


def safe_relpath(name: str, what: str) -> PurePosixPath:
    """A relative path inside the tree, or a permanent FetchError naming ``what``."""
    path = PurePosixPath(name.removeprefix("./"))
    parts = path.parts
    if not parts or path.is_absolute() or any(p in ("", ".", "..") for p in parts) or "\\" in name:
        raise FetchError(f"{what}: path {name!r} leaves the version directory", transient=False)
    if any(p.startswith(RESERVED) for p in parts) or "\x00" in name:
        raise FetchError(f"{what}: path {name!r} is reserved for i4qew", transient=False)
    return path


def place_file(blob: Path, tree: Path, name: str, what: str) -> None:
    target = tree.joinpath(*safe_relpath(name, what).parts)
    if target.exists():
        raise FetchError(f"{what}: {name!r} is given twice", transient=False)
    try:
        _mkdirs(tree, target.parent)
        os.link(blob, target)  # the blob itself goes with the work directory
        os.chmod(target, 0o644)
    except OSError as e:
        raise no_space(e, target) or e from None


def unpack(blob: Path, tree: Path, what: str) -> None:
    try:
        with tarfile.open(blob, "r:*") as tar:
            for member in tar:
                _member(tar, member, tree, what)
    except tarfile.TarError as e:
        raise FetchError(f"{what}: not a readable tar archive ({e})", transient=False) from None
    except OSError as e:
        raise no_space(e, blob) or e from None


def _member(tar: tarfile.TarFile, member: tarfile.TarInfo, tree: Path, what: str) -> None:
    rel = safe_relpath(member.name, what)
    target = tree.joinpath(*rel.parts)
    if member.isdir():
        _mkdirs(tree, target)
        return
    if not member.isreg():
        raise FetchError(f"{what}: {member.name!r} is a link or special file; only regular files "
                         "and directories are staged", transient=False)
    if target.exists():
        raise FetchError(f"{what}: {member.name!r} is given twice", transient=False)
    _mkdirs(tree, target.parent)
    src = tar.extractfile(member)
    if src is None:
        raise FetchError(f"{what}: {member.name!r} has no content", transient=False)
    with src, open(target, "xb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(target, 0o755 if member.mode & 0o111 else 0o644)


def _mkdirs(tree: Path, d: Path) -> None:
    for p in [*reversed(d.relative_to(tree).parents), d.relative_to(tree)]:
        full = tree / p
        if full.is_symlink() or (full.exists() and not full.is_dir()):
            raise FetchError(f"{p} is both a file and a directory in the artifact", transient=False)
        if not full.exists():
            full.mkdir(mode=0o755)
