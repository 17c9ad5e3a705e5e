"""Failure injection: a full disk (issue 7, part 3).

A real ENOSPC from a tiny tmpfs (mounted by the test; it needs root, which CI
has), filled up while `i4qew render -o DIR` writes its folder and while
`i4qew publish` writes git objects into a clone living on it. The failure is one
clear line and exit 1; the old render and the remote branch are as they were;
once there is room again the same command simply works.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.gitops.publish import PublishRequest, publish
from tests.support.failure_injection import assert_intact, assert_new_state, one_error_line
from tests.support.git_remote import (
    EXAMPLE_INPUTS,
    ROOT,
    Site,
    clean_environ,
    clone,
    edit,
    git,
    site,
)
from tests.support.tools import tmpfs

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)

SOURCE_A, SOURCE_B = "a" * 40, "b" * 40


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of our own to fill up."""
    with tmpfs(tmp_path / "disk", "4m") as where:
        yield where


def fill(where: Path, leave: int = 0) -> Path:
    """Take all free space of the filesystem holding `where` but `leave` bytes."""
    filler = where / "filler"
    stat = os.statvfs(where)
    left = stat.f_bavail * stat.f_frsize - leave
    with open(filler, "wb") as fh:
        try:
            while left > 0:
                left -= fh.write(b"\0" * min(left, 1 << 20))
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def declarations(dest: Path) -> Path:
    dest.mkdir()
    for name in EXAMPLE_INPUTS:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, dest / name)
    return dest


def render(repo: Path, out: Path, commit: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "i4qew", "render", "-C", str(repo), "--env", "dev", "-o", str(out),
                           "--source-commit", commit], env=clean_environ(), capture_output=True, text=True,
                          check=False, timeout=120)


def test_a_render_onto_a_full_disk_keeps_the_old_render(disk: Path, tmp_path: Path) -> None:
    repo, out = declarations(tmp_path / "repo"), disk / "out"
    assert render(repo, out, SOURCE_A).returncode == 0
    before = snapshot(out)
    filler = fill(disk, leave=64 * 1024)  # room for a few files of the next render, not all of them
    done = render(repo, out, SOURCE_B)
    assert done.returncode == 1, done.stdout + done.stderr
    line = one_error_line(done.stderr)
    assert line == f"i4qew: error: cannot write the render to {out}: No space left on device; {out} was left as it was"
    assert snapshot(out) == before
    assert sorted(p.name for p in disk.iterdir()) == ["filler", "out"]  # no staging folder left behind
    filler.unlink()
    assert render(repo, out, SOURCE_B).returncode == 0
    assert SOURCE_B in (out / "README.md").read_text() and SOURCE_A not in (out / "README.md").read_text()


def test_a_failed_swap_puts_the_old_render_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last step, renaming the new render into place, fails: the old one stays (not no folder at all)."""
    repo, out = declarations(tmp_path / "repo"), tmp_path / "out"
    runner = CliRunner()
    args = ["render", "-C", str(repo), "--env", "dev", "-o", str(out), "--source-commit"]
    assert runner.invoke(cli, [*args, SOURCE_A]).exit_code == 0
    before = snapshot(out)
    real_replace = os.replace

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst) == out and Path(src).name.startswith(".out.") and "old" not in Path(src).name:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    result = runner.invoke(cli, [*args, SOURCE_B])
    monkeypatch.undo()
    assert result.exit_code == 1
    assert result.stderr.strip() == f"i4qew: error: cannot write the render to {out}: Input/output error; " \
                                    f"{out} was left as it was"
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "repo"]


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path) as made:
        yield made


def test_a_publish_whose_object_store_is_full_changes_nothing_and_the_next_lands(s: Site, disk: Path) -> None:
    work = clone(s.url, disk / "work")  # the clone, .git included, on the small disk
    publish(PublishRequest(root=work, env="dev"), environ=clean_environ())
    old = s.branch("acm-dev")
    edit(work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    filler = fill(disk)
    done = subprocess.run([sys.executable, "-m", "i4qew", "publish", "--env", "dev"], cwd=work, env=clean_environ(),
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    line = one_error_line(done.stderr)
    # git's own words for ENOSPC, not the "dumping crash report" line that follows them
    assert "Out of diskspace" in line or "No space left on device" in line, line
    assert s.branch("acm-dev") == old
    assert git(work, "rev-parse", "refs/heads/acm-dev") == old
    filler.unlink()
    assert subprocess.run(["git", "fsck", "--no-dangling", "--no-progress"], cwd=work, check=False).returncode == 0
    done = subprocess.run([sys.executable, "-m", "i4qew", "publish", "--env", "dev"], cwd=work, env=clean_environ(),
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert_new_state(s.bare, work, old, s.tmp)
    assert_intact(s.bare)
