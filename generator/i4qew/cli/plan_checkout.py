"""`plan --base`: the repository as of the base revision, extracted from `git archive` into
a folder of its own, which the loaders read as they read the work tree.

A file of the archive whose bytes are those of the same path in the work tree (most of
them: a merge request changes a few files of thousands) is a hard link to the work tree's
file instead of a copy: on a disk, writing 11,000 files (68 MB at issue 17's 5x) and
removing them again costs seconds of system time, linking them a fraction. The link is
made only to a regular file of the same size and bytes, and kept only when the file is
still that file (inode, size, modification time) after linking; otherwise, and where linking fails
(another file system, no permission), the bytes are written. The plan reads the base
folder and never writes to it.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import stat
import tarfile
from pathlib import Path, PurePosixPath

from i4qew.cli.common import fail
from i4qew.problems import ExitCode


def checkout(repo_dir: Path, rev: str, dest: Path) -> Path:
    """The workload repository as of `rev`, extracted under `dest` (git archive)."""
    from i4qew.gitops.git import GitFailed, UnknownRevision, headline, revision_archive

    try:
        prefix, data = revision_archive(repo_dir, rev)
    except UnknownRevision as exc:
        fail(f"--base {rev}: {_unknown_revision(rev, exc.refs)}", ExitCode.USAGE)
    except GitFailed as exc:
        if exc.code == -1 and "not installed" in exc.stderr:
            fail(f"--base needs git: {headline(exc.stderr).removeprefix('fatal: ')}", ExitCode.EXTERNAL)
        reason = headline(exc.stderr).removeprefix("fatal: ") if exc.stderr.strip() else "git failed"
        fail(f"--base {rev}: {reason}", ExitCode.USAGE)
    _extract(data, dest, repo_dir, prefix)
    return dest / prefix


def _unknown_revision(rev: str, refs: list[str]) -> str:
    """Why `rev` names no commit: a typo (the closest branch or tag), or not fetched."""
    close = difflib.get_close_matches(rev, refs, n=1, cutoff=0.6) if len(rev) < 200 else []
    hint = f"did you mean '{close[0]}'?" if close else "a typo, or a commit not fetched yet (git fetch)?"
    return f"unknown revision: no commit {rev!r} in this repository; {hint}"


def _extract(archive: bytes, dest: Path, work: Path | None = None, prefix: str = "") -> None:
    """git archive's folders, files and symlinks under `dest`. Symlinks stay links, so
    the loader refuses them as in a clone; nothing is written outside `dest` or through
    a link. (No extraction filters: they need Python 3.11.4, Debian 12 has 3.11.2.) `work`:
    the work tree of the folder archived (`prefix`: its path in the archive), whose files
    with the same bytes are linked rather than copied."""
    top = dest.resolve()
    if work is not None and not _same_device(work, top):
        work = None  # a hard link cannot cross file systems (a /tmp in memory): nothing to compare
    # `dest` is a new folder: the only links in it are those made here, and the folders
    # made here need no second mkdir (11,000 files at issue 17's 5x)
    links: set[tuple[str, ...]] = set()
    folders: set[tuple[str, ...]] = {()}
    real: dict[str, bool] = {}  # the work tree's folders: without a link on the way
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts
            if not parts or member.name.startswith("/") or ".." in parts:
                continue
            if links and any(parts[:i] in links for i in range(1, len(parts))):
                continue  # a folder on the way is a link
            target = top.joinpath(*parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                folders.add(parts)
                continue
            if parts[:-1] not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.update(parts[:i] for i in range(1, len(parts)))
            if member.isreg() and (body := tar.extractfile(member)) is not None:
                data = body.read()
                twin = _twin(work, prefix, member.name, real)
                if twin is None or not _linked(twin, target, data):
                    target.write_bytes(data)
            elif member.issym():
                os.symlink(member.linkname, target)
                links.add(parts)




def _same_device(work: Path, dest: Path) -> bool:
    try:
        return os.stat(work).st_dev == os.stat(dest).st_dev
    except OSError:
        return False


def _twin(work: Path | None, prefix: str, name: str, folders: dict[str, bool]) -> Path | None:
    """The work tree's file at the archive member's path, if it can be one: its folder is
    that folder of the work tree, no link on the way (`folders`: what was found, by folder)."""
    if work is None or not name.startswith(prefix):
        return None
    rel = name[len(prefix):]
    folder = rel.rpartition("/")[0]
    inside = folders.get(folder)
    if inside is None:
        top = os.path.realpath(work)
        inside = folders[folder] = os.path.realpath(os.path.join(work, folder)) == os.path.join(top, folder).rstrip("/")
    return work / rel if rel and inside else None


def _linked(twin: Path, target: Path, data: bytes) -> bool:
    """Whether `target` is now a hard link to `twin`, a regular file holding `data` before
    and after the link was made."""
    try:
        before = os.lstat(twin)
        if not stat.S_ISREG(before.st_mode) or before.st_size != len(data) or twin.read_bytes() != data:
            return False
        os.link(twin, target, follow_symlinks=False)
    except OSError:
        return False
    try:
        after = os.lstat(target)
        same = _stamp(after) == _stamp(before) and _stamp(os.lstat(twin)) == _stamp(before)
    except OSError:
        same = False
    if not same:
        with contextlib.suppress(OSError):
            target.unlink()
    return same


def _stamp(st: os.stat_result) -> tuple[int, ...]:
    # not the change time: the link itself changes it
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns
