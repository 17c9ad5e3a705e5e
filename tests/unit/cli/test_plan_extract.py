"""`plan --base` extracts the base revision's archive (cli/plan_checkout.py `_extract`):
folders, files and symlinks, the links kept as links, nothing written outside the folder
or through a link; a file with the bytes of the work tree's file at its path is a link to
it, and the folder holds what a plain extraction holds."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from i4qew.cli import plan_checkout
from i4qew.cli.plan_checkout import _extract


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


MEMBERS: list[tuple[str, str, bytes | str]] = [
    ("dir", "sub/", b""), ("file", "sub/i4qew.yaml", "top"), ("file", "sub/workloads/same.yaml", "same"),
    ("file", "sub/workloads/edited.yaml", "old!"), ("file", "sub/workloads/gone.yaml", "gone"),
    ("file", "sub/workloads/now-a-link.yaml", "link"), ("file", "sub/linked/x.yaml", "x"),
    ("file", "sub/workloads/deep/same.yaml", "deep")]


def work_tree(tmp_path: Path) -> Path:
    """The folder archived (`sub/` of its work tree) as it is now: most files as committed,
    one edited (same size), one deleted, one a link now, a folder that is a link now."""
    work = tmp_path / "work" / "sub"
    (work / "workloads" / "deep").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.yaml").write_text("x")
    (work / "linked").symlink_to(tmp_path / "elsewhere")
    for name, text in (("i4qew.yaml", "top"), ("workloads/same.yaml", "same"), ("workloads/edited.yaml", "new!"),
                       ("workloads/deep/same.yaml", "deep")):
        (work / name).write_text(text)
    (work / "workloads" / "now-a-link.yaml").symlink_to(work / "workloads" / "same.yaml")
    return work


def test_files_as_in_the_work_tree_are_linked_the_others_written(tmp_path: Path) -> None:
    work = work_tree(tmp_path)
    plain, linked = tmp_path / "plain", tmp_path / "linked"
    plain.mkdir()
    linked.mkdir()
    _extract(archive(MEMBERS), plain)
    _extract(archive(MEMBERS), linked, work, "sub/")
    assert tree(linked) == tree(plain)
    assert tree(plain)["sub/workloads/edited.yaml"] == "old!"
    inode = {rel: (linked / "sub" / rel).stat().st_ino for rel in ("i4qew.yaml", "workloads/same.yaml",
                                                                 "workloads/deep/same.yaml", "workloads/edited.yaml",
                                                                 "workloads/now-a-link.yaml", "linked/x.yaml")}
    assert {rel for rel, ino in inode.items() if ino == (work / rel).stat().st_ino} == {
        "i4qew.yaml", "workloads/same.yaml", "workloads/deep/same.yaml"}


def test_a_file_changed_while_it_is_linked_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = work_tree(tmp_path)
    real = os.link

    def racing(src: str, dst: str, **kwargs: object) -> None:
        if str(src).endswith("same.yaml"):
            Path(src).write_text("SAME")  # edited in place between the comparison and the link
            os.utime(src, ns=(1, 1))
        real(src, dst, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(plan_checkout.os, "link", racing)
    dest = tmp_path / "base"
    dest.mkdir()
    _extract(archive(MEMBERS), dest, work, "sub/")
    assert tree(dest)["sub/workloads/same.yaml"] == "same"
    assert tree(dest)["sub/workloads/deep/same.yaml"] == "deep"


def test_across_file_systems_nothing_is_compared_or_linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = work_tree(tmp_path)
    real_stat, linked = os.stat, []

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        got = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if Path(str(path)) == work:  # the work tree on another device than the base folder (a /tmp in memory)
            return os.stat_result((*tuple(got)[:2], got.st_dev + 1, *tuple(got)[3:10]))
        return got

    monkeypatch.setattr(plan_checkout.os, "stat", stat)
    monkeypatch.setattr(plan_checkout.os, "link", lambda *args, **kwargs: linked.append(args))
    plain, dest = tmp_path / "plain", tmp_path / "base"
    plain.mkdir()
    dest.mkdir()
    _extract(archive(MEMBERS), plain)
    _extract(archive(MEMBERS), dest, work, "sub/")
    assert tree(dest) == tree(plain) and linked == []
