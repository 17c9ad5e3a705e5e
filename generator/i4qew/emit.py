"""The one writer of rendered trees: every path is checked to stay inside the destination.

Writing goes to a temporary sibling folder that is renamed into place at the
end, so an interrupted render (full disk, killed process) never leaves a
half-written output folder behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from i4qew.compile.readme import GENERATED_MARKER


class UnsafePath(ValueError):
    pass


def check_relative(path: str) -> str:
    """`path` when it is a relative POSIX path that stays inside the output folder.

    Plain string checks: this runs once per generated file (18,000 at 2,000
    workloads), where PurePosixPath parsing cost more than the write itself."""
    if (not path or path[0] == "/" or "\\" in path or "\0" in path
            or any(part in ("..", "", ".") for part in path.split("/"))):
        raise UnsafePath(f"refusing to write {path!r}: paths must stay inside the output folder")
    return path


def _ours(dest: Path) -> bool:
    """An existing folder may only be replaced when it is empty or a previous render."""
    if not any(dest.iterdir()):
        return True
    readme = dest / "README.md"
    try:
        return readme.is_file() and readme.read_text("utf-8", errors="replace").startswith(GENERATED_MARKER)
    except OSError:
        return False


def write_tree(tree: Mapping[str, bytes], dest: Path) -> None:
    """Replace `dest` with exactly the files of `tree`: written into a temporary sibling,
    then renamed into place (an earlier render is renamed aside first and removed after).
    Never half-written; not atomic: between the two renames `dest` is briefly absent."""
    rels = [check_relative(p) for p in tree]
    dest = dest.absolute()
    if dest.is_symlink():
        raise UnsafePath(f"refusing to write through the symlink {dest}")
    if dest.exists() and (not dest.is_dir() or not _ours(dest)):
        raise UnsafePath(f"refusing to replace {dest}: it is not empty and not an earlier i4qew render")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        root = str(staging)
        made: set[str] = {""}
        for rel, data in zip(rels, tree.values(), strict=True):
            folder = rel.rpartition("/")[0]
            if folder not in made:
                os.makedirs(f"{root}/{folder}", exist_ok=True)
                made.add(folder)
            with open(f"{root}/{rel}", "wb") as fh:
                fh.write(data)
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            os.replace(dest, old)
            try:
                os.replace(staging, dest)
            except BaseException:
                os.replace(old, dest)  # put the previous render back rather than leave no folder
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
