"""`plan --base` extracts the base revision's archive (cli/plan.py `_extract`): folders,
files and symlinks, the links kept as links, nothing written outside the folder or
through a link."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from i4qew.cli.plan import _extract


def archive(members: list[tuple[str, str, bytes | str]]) -> bytes:
    """(kind, name, body or link target) in this order: kind is dir, file or link."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for kind, name, body in members:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, str(body)
                tar.addfile(info)
            else:
                data = body if isinstance(body, bytes) else body.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def tree(root: Path) -> dict[str, str]:
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            out[rel] = ("-> " + os.readlink(path) if path.is_symlink() else "dir" if path.is_dir()
                        else path.read_text())
    return out


def test_folders_files_and_links_nothing_through_a_link_or_outside(tmp_path: Path) -> None:
    dest = tmp_path / "base"
    dest.mkdir()
    (tmp_path / "outside").mkdir()
    _extract(archive([
        ("file", "i4qew.yaml", "top"),
        ("dir", "repo/", b""),
        ("file", "repo/workloads/a.yaml", "a"),  # its folder made on the way
        ("file", "repo/workloads/b.yaml", "b"),
        ("dir", "repo/workloads/deep/er/", b""),
        ("file", "repo/workloads/deep/er/c.yaml", "c"),
        ("link", "repo/etc", "../../outside"),
        ("file", "repo/etc/passwd", "through the link"),
        ("dir", "repo/etc/sub/", b""),
        ("link", "repo/workloads/d.yaml", "a.yaml"),
        ("file", "../escape.yaml", "out"),
        ("file", "/abs.yaml", "abs"),
        ("file", "repo/x/../../escape2.yaml", "out"),
    ]), dest)
    assert tree(dest) == {
        "i4qew.yaml": "top", "repo": "dir", "repo/workloads": "dir", "repo/workloads/a.yaml": "a",
        "repo/workloads/b.yaml": "b", "repo/workloads/deep": "dir", "repo/workloads/deep/er": "dir",
        "repo/workloads/deep/er/c.yaml": "c", "repo/etc": "-> ../../outside", "repo/workloads/d.yaml": "-> a.yaml"}
    assert list((tmp_path / "outside").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "outside"]
