"""The workload repository's side: the commit being published, its inputs, their fingerprint.

The fingerprint is a hash of the ids git already keeps for the inputs (the
i4qew.yaml blob and the workloads/, policies/, models/, clusters/ trees at
the commit, plus any config file a workload mounts from elsewhere), the i4qew
version, the environment and an --inventory file. It is recorded on every
i4qew commit, so an unchanged repository is recognised without parsing or
rendering a single file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from i4qew import __version__
from i4qew.gitops.git import Git, GitFailed, Started, environment
from i4qew.load.files import DECLARATION_DIRS, INVENTORY_DIR, REPOSITORY_FILE, YAML_SUFFIXES
from i4qew.problems import UserError

INPUTS = (REPOSITORY_FILE, *DECLARATION_DIRS, INVENTORY_DIR)


@dataclass(frozen=True)
class Source:
    git: Git  # runs at the top of the git work tree
    root: Path  # the folder holding i4qew.yaml
    prefix: str  # `root` relative to the top of the work tree: "" or "deploy/"
    head: str  # the checked-out commit (full id)
    algo: str  # object format: sha1 or sha256
    shallow: bool

    def spec(self, commit: str, path: str) -> str:
        return f"{commit}:{self.prefix}{path}"


def open_source(root: Path, environ: Mapping[str, str] | None = None) -> Source:
    root = root.absolute()
    env = environment(environ)
    if not root.is_dir():
        raise UserError(f"{root} is not a folder")
    # one process: the work tree, then HEAD (exit 1 and no fifth line: no commit yet)
    try:
        done = Git(root, env).run("rev-parse", "--show-toplevel", "--show-prefix", "--is-shallow-repository",
                                  "--show-object-format", "--verify", "-q", "HEAD^{commit}", check=False)
    except GitFailed:  # no git program
        done = None
    lines = done.stdout.decode("utf-8", "surrogateescape").split("\n") if done else []
    if done is None or done.returncode not in (0, 1) or len(lines) < 4:
        raise UserError(f"{root} is not inside a git work tree: publish commits from a git clone")
    top, prefix, shallow, algo, head = [*lines, "", "", "", "", ""][:5]
    if done.returncode or not head.strip():
        raise UserError("the repository has no commit yet: commit the declarations first")
    return Source(Git(Path(top), env), root, prefix, head.strip(), algo or "sha1", shallow == "true")


def input_ids(source: Source, commit: str, extra: Iterable[str] = ()) -> dict[str, str]:
    """path -> object id at `commit` ("missing" when absent) for every input path."""
    paths = sorted({*INPUTS, *extra})
    query = "".join(f"{source.spec(commit, p)}\n" for p in paths).encode()
    out = source.git.run("cat-file", "--batch-check=%(objectname)", input=query).stdout.decode().split("\n")
    return {p: ("missing" if line.endswith(" missing") else line) for p, line in zip(paths, out, strict=False)}


def fingerprint(ids: Mapping[str, str], env: str, inventory: Path | None) -> str:
    h = hashlib.sha256()
    h.update(f"i4qew-inputs 1\nversion {__version__}\nenvironment {env}\n".encode())
    for path in sorted(ids):
        h.update(f"{path} {ids[path]}\n".encode())
    if inventory is not None:
        try:
            h.update(b"inventory " + hashlib.sha256(inventory.read_bytes()).hexdigest().encode())
        except OSError:
            h.update(b"inventory unreadable")
    return h.hexdigest()


def read_blob(source: Source, oid: str) -> bytes:
    return source.git.run("cat-file", "blob", oid).stdout


def dirty_status(source: Source, config_paths: Iterable[str], with_inventory: bool) -> Started:
    """`git status` of the inputs, started (dirty_inputs reads it): it may run while
    publish reads the branch head."""
    folders = [d for d in INPUTS if with_inventory or d != INVENTORY_DIR]
    specs = [f":(literal){source.prefix}{p}" for p in (*folders, *config_paths)]
    # GIT_OPTIONAL_LOCKS=0: status must not refresh (write) the user's index
    return source.git.start("status", "--porcelain=v1", "-z", "--ignored=matching", "--untracked-files=all",
                            "--no-renames", "--", *specs, env={"GIT_OPTIONAL_LOCKS": "0"})


def dirty_inputs(source: Source, config_paths: Iterable[str], with_inventory: bool,
                 started: Started | None = None) -> list[str]:
    """Inputs whose worktree state differs from the commit: the render would not be the
    commit. `started`: dirty_status of the same inputs, already running."""
    config_paths = tuple(config_paths)
    config = {source.prefix + p for p in config_paths}
    status = started or dirty_status(source, config_paths, with_inventory)
    try:
        out = status.result().stdout
    finally:
        status.close()
    found = []
    for record in out.split(b"\0"):
        if len(record) < 4:
            continue
        path = record[3:].decode("utf-8", "replace")
        if path.endswith(YAML_SUFFIXES) or path in config:
            found.append(path[len(source.prefix):])
    return sorted(found)


def materialise(source: Source, commit: str, dest: Path, extra: Iterable[str] = ()) -> None:
    """Write the inputs as committed at `commit` into `dest` (blobs verbatim, no filters)."""
    specs = [f":(literal){source.prefix}{p}" for p in sorted({*INPUTS, *extra})]
    listing = source.git.run("ls-tree", "-r", "-z", "--full-name", commit, "--", *specs).stdout
    entries = []
    for record in listing.split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            mode, kind, oid = meta.decode().split()
            if kind == "blob":
                entries.append((mode, oid, path.decode("utf-8", "surrogateescape")[len(source.prefix):]))
    if not entries:
        return
    data = source.git.run("cat-file", "--batch", input="".join(f"{oid}\n" for _, oid, _ in entries).encode()).stdout
    at = 0
    for mode, _, rel in entries:
        header_end = data.index(b"\n", at)
        size = int(data[at:header_end].split()[2])
        body = data[header_end + 1:header_end + 1 + size]
        at = header_end + 1 + size + 1
        target = dest.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            # kept as a symlink so the loader refuses it exactly as in a clone
            os.symlink(body.decode("utf-8", "surrogateescape"), target)
        else:
            target.write_bytes(body)
