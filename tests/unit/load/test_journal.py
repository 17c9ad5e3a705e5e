"""The journal of what a run read (load/journal.py): its digest changes with every name, kind,
byte, symlink target and refused file's size it covers, and with nothing else; a file over
its folder's limit is never read; `unchanged` tells a file rewritten after the observation."""

from __future__ import annotations

import os
from pathlib import Path

from i4qew.load.journal import Spec, observe, unchanged

SPEC = Spec((("workloads", 100), ("clusters", 1000)), (("i4qew.yaml", 100), (".yamllint", 100)),
            (("certs/ca.pem", 100),))


def _repo(root: Path) -> Path:
    (root / "workloads" / "files").mkdir(parents=True)
    (root / "workloads" / "a.yaml").write_text("kind: Workload\n")
    (root / "workloads" / "files" / "x.conf").write_text("x = 1\n")
    (root / "clusters").mkdir()
    (root / "clusters" / "mc.yaml").write_text("kind: ManagedCluster\n")
    (root / "i4qew.yaml").write_text("kind: Repository\n")
    (root / "certs").mkdir()
    (root / "certs" / "ca.pem").write_text("PEM\n")
    return root


def test_every_observed_change_changes_the_digest(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    seen = {observe(root, SPEC).digest}
    edits = [
        lambda: (root / "workloads" / "a.yaml").write_text("kind: Workload \n"),
        lambda: (root / "workloads" / "files" / "x.conf").write_text("x = 2\n"),
        lambda: (root / "workloads" / "b.yaml").write_text("kind: Workload \n"),
        lambda: (root / "workloads" / "b.yaml").rename(root / "workloads" / "c.yaml"),
        lambda: (root / "workloads" / "d").mkdir(),
        lambda: (root / "workloads" / "link.yaml").symlink_to("a.yaml"),
        lambda: ((root / "workloads" / "link.yaml").unlink(), (root / "workloads" / "link.yaml").symlink_to("/etc")),
        lambda: (root / "clusters" / "mc.yaml").write_text("kind: ManagedCluster\n# more\n"),
        lambda: (root / "i4qew.yaml").write_text("kind: Repository # edited\n"),
        lambda: (root / ".yamllint").write_text("extends: default\n"),
        lambda: (root / ".yamllint").write_text("extends: relaxed\n"),
        lambda: (root / "certs" / "ca.pem").write_text("other\n"),
        lambda: (root / "certs" / "ca.pem").unlink(),
        lambda: (root / "certs").rmdir(),
        lambda: (root / "certs").symlink_to(root / "workloads"),
        lambda: os.mkfifo(root / "workloads" / "fifo.yaml"),
    ]
    for edit in edits:
        edit()
        digest = observe(root, SPEC).digest
        assert digest not in seen
        seen.add(digest)
    (root / "README.md").write_text("not observed")
    (root / "other").mkdir()
    assert observe(root, SPEC).digest in seen
    (root / ".yamllint").unlink()  # back to a state seen before: the same digest
    (root / ".yamllint").write_text("extends: relaxed\n")
    assert observe(root, SPEC).digest in seen


def test_a_file_over_its_limit_is_not_read_only_its_size_counts(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    big = root / "workloads" / "big.yaml"
    big.write_bytes(b"a" * 101)
    first = observe(root, SPEC).digest
    big.write_bytes(b"b" * 101)
    assert observe(root, SPEC).digest == first  # refused unread by the loader: the bytes do not count
    big.write_bytes(b"b" * 102)
    assert observe(root, SPEC).digest != first
    (root / "clusters" / "big.yaml").write_bytes(b"a" * 101)  # the inventory's limit is higher: read
    second = observe(root, SPEC).digest
    (root / "clusters" / "big.yaml").write_bytes(b"b" * 101)
    assert observe(root, SPEC).digest != second


def test_unchanged_tells_a_file_written_after_the_observation(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    seen = observe(root, SPEC)
    assert unchanged(root, SPEC, seen)
    path = root / "workloads" / "a.yaml"
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data)  # the same bytes, another file
    assert not unchanged(root, SPEC, seen)
    seen = observe(root, SPEC)
    (root / "workloads" / "new.yaml").write_text("")
    assert not unchanged(root, SPEC, seen)


def test_kept_bytes_are_the_regular_files_read_under_the_kept_folders(tmp_path: Path) -> None:
    """`keep`: the bytes of each regular file read under those folders (or root files), by
    path: no symlink, no file over its limit, nothing outside them, no named path."""
    root = _repo(tmp_path / "repo")
    (root / "workloads" / "big.yaml").write_bytes(b"a" * 101)
    (root / "workloads" / "link.yaml").symlink_to("a.yaml")
    (root / "certs" / "link.pem").symlink_to("ca.pem")
    seen = observe(root, SPEC, ("workloads", "i4qew.yaml", "certs"))
    assert seen.read == {"workloads/a.yaml": b"kind: Workload\n", "workloads/files/x.conf": b"x = 1\n",
                         "i4qew.yaml": b"kind: Repository\n"}
    assert seen.digest == observe(root, SPEC).digest and observe(root, SPEC).read == {}
