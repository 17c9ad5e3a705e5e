"""Git objects from a rendered tree, without a worktree or an index.

The ids of every blob and tree are computed here, in memory (they are plain
hashes of well-defined bytes), so "is the tree unchanged?" and a dry run cost
no git process and write nothing. Only objects the repository lacks are then
written: all blobs through one `git fast-import` (a pack, not one process or
file per blob), all trees through one `git mktree --batch`, children first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from i4qew.gitops.git import Git

FILE_MODE = "100644"
TREE_MODE = "40000"


@dataclass(frozen=True)
class TreeObject:
    path: str  # "" for the root
    oid: str
    entries: tuple[tuple[str, str, str, str], ...]  # (mode, type, oid, name), git's order


@dataclass(frozen=True)
class Stored:
    """A file whose blob the repository already has (a tree rebuilt around a few edits)."""

    oid: str


@dataclass(frozen=True)
class StoredTree:
    """A folder whose tree the repository already has, kept whole (not walked, not hashed)."""

    oid: str


@dataclass(frozen=True)
class BuiltTree:
    oid: str
    blobs: Mapping[str, bytes]  # oid -> content
    trees: tuple[TreeObject, ...]  # children before their parents
    ids: Mapping[str, str]  # path (file or folder) -> oid

    def subtrees(self, folder: str) -> dict[str, str]:
        """name -> oid of the entries directly under `folder` (e.g. the charts)."""
        prefix = folder.rstrip("/") + "/"
        return {p[len(prefix):]: oid for p, oid in self.ids.items()
                if p.startswith(prefix) and "/" not in p[len(prefix):]}


def _hash(kind: bytes, data: bytes, algo: str) -> tuple[str, bytes]:
    h = hashlib.new(algo)
    h.update(b"%s %d\0" % (kind, len(data)))
    h.update(data)
    return h.hexdigest(), h.digest()


def build_tree(files: Mapping[str, bytes | Stored | StoredTree], algo: str = "sha1") -> BuiltTree:
    """Hash `files` ({posix path: bytes, a Stored blob, or a StoredTree folder}) into git
    blobs and trees."""
    root: dict[str, object] = {}
    for path, data in files.items():
        node = root
        *folders, name = path.split("/")
        for folder in folders:
            child = node.setdefault(folder, {})
            if not isinstance(child, dict):
                raise ValueError(f"{path}: {folder} is both a file and a folder")
            node = child
        if name in node:
            raise ValueError(f"{path}: written twice")
        node[name] = data
    blobs: dict[str, bytes] = {}
    trees: list[TreeObject] = []
    ids: dict[str, str] = {}

    def visit(node: dict[str, object], path: str) -> tuple[str, bytes]:
        entries: list[tuple[bytes, tuple[str, str, str, str], bytes]] = []
        for name, value in node.items():
            child_path = f"{path}/{name}" if path else name
            if isinstance(value, dict):
                oid, raw = visit(value, child_path)
                entry = (TREE_MODE, "tree", oid, name)
                key = name.encode() + b"/"  # git sorts a folder as if its name ended in "/"
            elif isinstance(value, StoredTree):
                oid, raw = value.oid, bytes.fromhex(value.oid)
                entry = (TREE_MODE, "tree", oid, name)
                key = name.encode() + b"/"
            elif isinstance(value, Stored):
                oid, raw = value.oid, bytes.fromhex(value.oid)
                entry = (FILE_MODE, "blob", oid, name)
                key = name.encode()
            else:
                assert isinstance(value, bytes)
                oid, raw = _hash(b"blob", value, algo)
                blobs[oid] = value
                entry = (FILE_MODE, "blob", oid, name)
                key = name.encode()
            ids[child_path] = oid
            entries.append((key, entry, raw))
        entries.sort(key=lambda e: e[0])
        body = b"".join(b"%s %s\0%s" % (e[0].encode(), e[3].encode(), raw) for _, e, raw in entries)
        oid, digest = _hash(b"tree", body, algo)
        trees.append(TreeObject(path, oid, tuple(e for _, e, _ in entries)))
        return oid, digest

    oid, _ = visit(root, "")
    return BuiltTree(oid, blobs, tuple(trees), ids)


def write_missing(git: Git, tree: BuiltTree, known: Iterable[str] = (), *, ask: bool = False) -> int:
    """Write the blobs and trees of `tree` that are not in `known` (`ask`: nor in the
    repository, asked in one git process); how many objects were written."""
    have = set(known)
    blobs = [(oid, data) for oid, data in tree.blobs.items() if oid not in have]
    if ask and blobs:
        present = existing(git, [oid for oid, _ in blobs])
        blobs = [(oid, data) for oid, data in blobs if oid not in present]
    if blobs:
        stream = bytearray()
        for _, data in blobs:
            stream += b"blob\ndata %d\n" % len(data)
            stream += data
            stream += b"\n"
        git.run("fast-import", "--quiet", input=bytes(stream))
    trees = [t for t in tree.trees if t.oid not in have]
    if trees and not any(t.entries for t in trees):
        git.run("mktree", input=b"")  # the empty tree: batch mode cannot express it
    elif trees:
        batch = bytearray()
        for t in trees:
            for mode, kind, oid, name in t.entries:
                batch += f"{mode} {kind} {oid}\t{name}".encode() + b"\0"
            batch += b"\0"  # an empty record ends one tree
        got = git.out("mktree", "-z", "--batch", input=bytes(batch)).split()
        if got != [t.oid for t in trees if t.entries]:
            raise RuntimeError("git computed other tree ids than i4qew: refusing to commit")
    return len(blobs) + len(trees)


def listing(git: Git, tree_oid: str) -> dict[str, str]:
    """path -> oid of every file and folder in a committed tree (one git process)."""
    return _ids(git.run("ls-tree", "-r", "-t", "-z", "--full-tree", tree_oid).stdout)


def files_under(git: Git, tree_ish: str, *paths: str) -> dict[str, str] | None:
    """path -> blob id of every file under `paths` in a commit or tree (one git process);
    None when this clone lacks it."""
    got = git.run("ls-tree", "-r", "-z", "--full-tree", tree_ish, "--", *paths, check=False)
    return None if got.returncode else _ids(got.stdout)


def _ids(out: bytes) -> dict[str, str]:
    """The path -> oid of `git ls-tree -z` records."""
    ids: dict[str, str] = {}
    for record in out.split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            ids[path.decode("utf-8", "surrogateescape")] = meta.split()[2].decode()
    return ids


def read_blobs(git: Git, oids: list[str]) -> dict[str, bytes]:
    """The contents of `oids`, through one `git cat-file --batch`."""
    if not oids:
        return {}
    out = git.run("cat-file", "--batch", input="".join(f"{o}\n" for o in oids).encode()).stdout
    blobs: dict[str, bytes] = {}
    pos = 0
    for oid in oids:
        end = out.index(b"\n", pos)
        size = int(out[pos:end].split()[2])
        blobs[oid] = out[end + 1:end + 1 + size]
        pos = end + 1 + size + 1
    return blobs


def existing(git: Git, oids: list[str]) -> set[str]:
    """Those of `oids` the repository has, through one `git cat-file --batch-check`."""
    out = git.run("cat-file", "--batch-check=%(objectname) %(objecttype)",
                  input="".join(f"{o}\n" for o in oids).encode()).stdout
    return {line.split()[0] for line in out.decode().splitlines() if not line.endswith(" missing")}


def read_trees(git: Git, oids: list[str], algo: str = "sha1") -> dict[str, list[tuple[str, str, str]]]:
    """(mode, name, oid) of each entry of the trees `oids`, through one `git cat-file --batch`."""
    width = hashlib.new(algo).digest_size
    out = git.run("cat-file", "--batch", input="".join(f"{o}\n" for o in oids).encode()).stdout
    trees: dict[str, list[tuple[str, str, str]]] = {}
    pos = 0
    for oid in oids:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        if len(header) != 3 or header[1] != b"tree":
            raise ValueError(f"{oid} is not a tree in this repository")
        size = int(header[2])
        body, pos = out[end + 1:end + 1 + size], end + 1 + size + 1
        entries: list[tuple[str, str, str]] = []
        at = 0
        while at < len(body):
            space = body.index(b" ", at)
            nul = body.index(b"\0", space)
            mode, name = body[at:space].decode(), body[space + 1:nul].decode("utf-8", "surrogateescape")
            entries.append((mode, name, body[nul + 1:nul + 1 + width].hex()))
            at = nul + 1 + width
        trees[oid] = entries
    return trees


def walk(git: Git, tree_oid: str, whole: Callable[[str], bool],
         algo: str = "sha1") -> tuple[dict[str, str], tuple[str, ...]]:
    """A committed tree read down to the folders `whole` accepts (their content is not
    read), level by level, one git process per level. (path -> oid of every file and
    folder read, its leaves: the files and, as "<path>/", the folders not walked into.)"""
    ids: dict[str, str] = {}
    leaves: list[str] = []
    level = [("", tree_oid)]
    while level:
        trees = read_trees(git, sorted({oid for _, oid in level}), algo)
        below: list[tuple[str, str]] = []
        for folder, oid in level:
            for mode, name, child in trees[oid]:
                path = f"{folder}/{name}" if folder else name
                ids[path] = child
                if mode != TREE_MODE:
                    leaves.append(path)
                elif whole(path):
                    leaves.append(f"{path}/")
                else:
                    below.append((path, child))
        level = below
    return ids, tuple(leaves)
