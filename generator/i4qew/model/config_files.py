"""Read the files workloads mount (spec.config.files) and the Git CA bundle
(spec.git.caFile), behind the path guard.

A reference must be a relative path to a regular file inside the repository:
no absolute paths, no `..` escape, no symlinks anywhere on the way, bounded size.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from i4qew.load.documents import Document
from i4qew.load.files import decode, has_unsafe_char, inside
from i4qew.model.repo import Repo
from i4qew.problems import Problem
from i4qew.text import shorten

KeyPath = tuple[str | int, ...]
MAX_CONFIG_BYTES = 512 * 1024  # a ConfigMap holds at most 1 MiB in total


def _symlink_on_the_way(root: Path, rel: PurePosixPath) -> bool:
    here = root
    for part in rel.parts:
        here = here / part
        if here.is_symlink():
            return True
    return False


def _read(root: Path, rel: PurePosixPath, ref: str) -> str:
    """The file's text; raises _Refused with the rest of the sentence saying why not."""
    target = root / rel
    if _symlink_on_the_way(root, rel) or not inside(root, target):
        raise _Refused(" is or passes through a symlink; i4qew reads no symlinks")
    if target.is_dir():
        raise _Refused(" is a folder; name one file per config entry")
    if not target.is_file():
        raise _Refused(" does not exist in the repository")
    size = target.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise _Refused(f" is {size:,} bytes; a ConfigMap file may be at most {MAX_CONFIG_BYTES:,}")
    got = decode(ref, target.read_bytes())
    if isinstance(got, Problem):
        raise _Refused(f": {got.message}")
    return got.text


def plain_ref(ref: object) -> bool:
    """A relative path inside the repository, without '..' (the only refs read)."""
    if not isinstance(ref, str) or not ref or "\\" in ref:
        return False
    rel = PurePosixPath(ref)
    return not rel.is_absolute() and ".." not in rel.parts


class _Refused(Exception):
    pass


def _read_ref(root: Path, doc: Document, path: KeyPath, ref: str, rule_id: str,
              files: dict[str, str], problems: list[Problem]) -> None:
    """Read the repository file `ref` named at `path` of `doc` into `files`, or report why not."""
    shown = repr(shorten(ref, 200))
    rel = PurePosixPath(ref)
    if not plain_ref(ref):
        problems.append(doc.problem(path, rule_id, f"{shown} must be a relative path inside the repository, without '..'"))
        return
    if has_unsafe_char(ref):
        problems.append(doc.problem(path, rule_id, f"{shown} holds a control, line-break or bidi character; rename the file"))
        return
    try:
        files[str(rel)] = _read(root, rel, ref)
    except _Refused as why:
        problems.append(doc.problem(path, rule_id, f"{shown}{why}"))
    except (OSError, ValueError) as exc:
        # a name too long for the file system, a NUL byte, no permission:
        # the user's to fix, never a crash (strerror: no path echoed)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable path"
        problems.append(doc.problem(path, rule_id, f"{shown} cannot be read: {reason}"))


def _refs(repo: Repo) -> Iterator[tuple[Document, KeyPath, str, str]]:
    """Every repository path a declaration names: where, the path, the rule that judges it."""
    for w in repo.workloads:
        config = w.spec.get("config") or {}
        for name, ref in sorted((config.get("files") or {}).items()):
            yield w.doc, ("spec", "config", "files", name), ref, "config-file"
    doc, ca = repo.repository.doc, repo.repository.git_ca_file
    if doc is not None and ca is not None:
        yield doc, ("spec", "git", "caFile"), ca, "git-ca"


def config_refs(repo: Repo) -> list[str]:
    """The paths read_config_files looks at (validate's journal observes them)."""
    return [ref for _, _, ref, _ in _refs(repo)]


def read_config_files(root: Path, repo: Repo) -> tuple[dict[str, str], list[Problem]]:
    """The files workloads mount and the Git server's CA bundle (spec.git.caFile), by
    normalised repository path."""
    files: dict[str, str] = {}
    problems: list[Problem] = []
    for doc, path, ref, rule_id in _refs(repo):
        _read_ref(root, doc, path, ref, rule_id, files, problems)
    return files, problems
