"""A journal of what a run reads from the repository, so that a later run can tell,
by reading the same things again, that it would read the same bytes (the persistent
cache's whole-run answer of `validate`, docs/caching.md).

`observe` walks a `Spec`: folders read whole (every entry, recursively: names, kinds,
symlink targets, each regular file's bytes, or only its size when it is over the
size the loader refuses unread), single files at the root (followed, as the loaders
open them) and repository paths a declaration names (each step on the way, then the
file). What it feeds the digest is content only; beside it, each entry's stamp
(inode, size, mtime, ctime), which `unchanged` compares after the run, without
reading, to be sure the files the run read did not change while it ran. The bytes of
the regular files it read under the folders (or root files) a caller names in `keep`
are handed back, so that a run that builds from those very bytes does not read them
again (publish after validate: cli/validate_answer.py).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from i4qew.load.files import inside

# (repository-relative path, size above which the file is not read): a tuple of them.
Limits = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Spec:
    trees: Limits  # folders read whole, recursively (workloads/, clusters/, ...)
    roots: Limits  # files at the root, followed if a symlink (i4qew.yaml, .yamllint)
    refs: Limits  # paths a declaration names: every step on the way, then the file

    def plain(self) -> tuple[Limits, Limits, Limits]:
        return self.trees, self.roots, self.refs

    @classmethod
    def of(cls, value: object) -> Spec | None:
        """The spec `plain()` wrote, or None for anything else."""
        if not (isinstance(value, tuple) and len(value) == 3
                and all(isinstance(part, tuple) and all(_limit(x) for x in part) for part in value)):
            return None
        return cls(*value)


def _limit(x: object) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) and isinstance(x[1], int)


@dataclass(frozen=True)
class Observation:
    digest: str  # of what was found: names, kinds, sizes, bytes
    stamps: dict[str, tuple[object, ...]]  # per entry: what tells a change without reading
    # repository path -> the bytes read of each regular file under a folder in `keep`
    read: dict[str, bytes] = field(default_factory=dict)


def observe(root: Path, spec: Spec, keep: tuple[str, ...] = ()) -> Observation:
    """`keep`: the top folders (or root files) whose files' bytes the observation hands back."""
    walk = _Walk(root, read=True, keep=frozenset(keep))
    walk.spec(spec)
    return Observation(walk.hash.hexdigest(), walk.stamps, walk.kept)


def unchanged(root: Path, spec: Spec, before: Observation) -> bool:
    """True when no entry `observe` saw has changed since (stamps only: no file is read)."""
    walk = _Walk(root, read=False)
    walk.spec(spec)
    return walk.stamps == before.stamps


class _Walk:
    def __init__(self, root: Path, *, read: bool, keep: frozenset[str] = frozenset()) -> None:
        self.root = root
        self.base = os.fspath(root)
        self.read = read
        self.keep = keep
        self.hash = hashlib.sha256()
        self.stamps: dict[str, tuple[object, ...]] = {}
        self.kept: dict[str, bytes] = {}

    def spec(self, spec: Spec) -> None:
        for rel, limit in spec.trees:
            self.tree(rel, limit)
        for rel, limit in spec.roots:
            self.root_file(rel, limit)
        for rel, limit in spec.refs:
            self.ref(rel, limit)

    def note(self, rel: str, what: tuple[object, ...], stamp: tuple[object, ...] | None = None,
             data: bytes = b"") -> None:
        head = repr((rel, what, len(data))).encode("utf-8", "surrogatepass")
        self.hash.update(len(head).to_bytes(4, "big") + head)
        if data:
            self.hash.update(data)
        self.stamps[rel] = stamp if stamp is not None else what

    def lstat(self, rel: str, path: str) -> os.stat_result | None:
        """The entry's own stat, or None (its absence or error noted)."""
        try:
            return os.lstat(path)
        except (OSError, ValueError) as exc:
            self.note(rel, _failed(exc))
            return None

    def tree(self, rel: str, limit: int) -> None:
        path = os.path.join(self.base, rel)
        if (st := self.lstat(rel, path)) is not None:
            self.node(rel, path, st, limit)

    def node(self, rel: str, path: str, st: os.stat_result, limit: int) -> None:
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            try:
                with os.scandir(path) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self.note(rel, _failed(exc))
                return
            self.note(rel, ("dir",))
            for entry in entries:
                sub = f"{rel}/{entry.name}"
                try:
                    est = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    self.note(sub, _failed(exc))
                    continue
                self.node(sub, entry.path, est, limit)
        elif stat.S_ISLNK(mode):
            self.link(rel, path)
        else:
            self.file(rel, path, st, limit)

    def link(self, rel: str, path: str) -> None:
        try:
            target = os.readlink(path)
        except OSError as exc:
            self.note(rel, ("link", *_failed(exc)))
            return
        # the loader says whether it points outside the repository
        self.note(rel, ("link", target, inside(self.root, Path(path))))

    def file(self, rel: str, path: str, st: os.stat_result, limit: int) -> None:
        if not stat.S_ISREG(st.st_mode):
            self.note(rel, ("other", stat.S_IFMT(st.st_mode)))
            return
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if st.st_size > limit:
            self.note(rel, ("large", st.st_size), stamp)  # refused unread: its size is all that counts
            return
        if not self.read:
            self.stamps[rel] = stamp
            return
        try:
            data = _read(path, st.st_size + 1)  # its size: never a buffer of `limit` bytes
        except OSError as exc:
            self.note(rel, _failed(exc), stamp)
            return
        self.note(rel, ("file",), stamp, data)
        if self.keep and rel.split("/", 1)[0] in self.keep:
            self.kept[rel] = data

    def root_file(self, rel: str, limit: int) -> None:
        path = os.path.join(self.base, rel)
        if (lst := self.lstat(rel, path)) is None:
            return
        if stat.S_ISLNK(lst.st_mode):
            self.link(rel, path)
            try:  # what opening it reads, through the link
                st = os.stat(path)
            except (OSError, ValueError) as exc:
                self.note(rel + "\0target", _failed(exc))
                return
            self.file(rel + "\0target", path, st, limit)
        elif stat.S_ISDIR(lst.st_mode):
            self.note(rel, ("dir",))
        else:
            self.file(rel, path, lst, limit)

    def ref(self, rel: str, limit: int) -> None:
        """Each step of a path a declaration names (a symlink on the way refuses it,
        whatever it points at), then the file itself."""
        parts = PurePosixPath(rel).parts
        here = self.base
        for i, part in enumerate(parts):
            here = os.path.join(here, part)
            step = "/".join(parts[: i + 1])
            if (st := self.lstat("ref\0" + step, here)) is None:
                return
            if stat.S_ISLNK(st.st_mode):
                self.link("ref\0" + step, here)
                return
            if i < len(parts) - 1 or stat.S_ISDIR(st.st_mode):
                self.note("ref\0" + step, ("dir",) if stat.S_ISDIR(st.st_mode) else ("other", stat.S_IFMT(st.st_mode)))
                continue
            self.file("ref\0" + step, here, st, limit)


def _read(path: str, most: int) -> bytes:
    """Up to `most` bytes of the file, as `open(path, "rb").read(most)` returns them, without
    the file object (10,000 files a run: a third of the walk's time)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        parts = []
        while most > 0:
            part = os.read(fd, most)
            if not part:
                break
            parts.append(part)
            most -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)


def _failed(exc: BaseException) -> tuple[object, ...]:
    if isinstance(exc, OSError):
        return ("missing",) if exc.errno in (errno.ENOENT, errno.ENOTDIR) else ("error", exc.errno)
    return ("invalid",)
