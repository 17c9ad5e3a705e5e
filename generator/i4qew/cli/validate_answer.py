"""`validate`'s whole answer kept in the persistent cache (i4qew/store.py), keyed by a
journal of what it read (load/journal.py): a run that reads the same bytes again gives
the same problems without computing them (docs/caching.md).

One entry per repository folder (its resolved path) and versions of the libraries
that judge it: the journal's spec (the folders read whole, the root files, the paths
declarations name), the digest of what the run found there, and the problems and files
it reported. A later run observes the spec again: the same digest is the answer; any
other is a miss, computed and stored again. An answer is stored only when the files it
was computed from did not change while it ran (their stamps after the run are those
the journal saw before it), and only when the spec it needs is the one observed
before the run: after a run that named new paths, the next one observes them and
stores. A yamllint config that extends a file or ignores from a file reads files the
journal does not know: no answer is stored for such a repository.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from i4qew import memo, store
from i4qew.load.files import (
    CONFIG_NAMES,
    DECLARATION_DIRS,
    INVENTORY_DIR,
    MAX_DECLARATION_BYTES,
    MAX_INVENTORY_BYTES,
    REPOSITORY_FILE,
)
from i4qew.load.journal import Spec, observe, unchanged
from i4qew.problems import Problem, Severity

if TYPE_CHECKING:
    from i4qew.model.repo import Repo
    from i4qew.validation import Validation

KIND = "validate"
_CLASSES = store.allow((Problem, Severity))
# The libraries whose answers are part of validate's (parsing, schema, yamllint).
_LIBRARIES = ("yaml-rs", "ruamel.yaml", "jsonschema-rs", "yamllint")
_BUILTIN_YAMLLINT = (None, "default", "relaxed")
_WHOLE = 1 << 62
# what the journal's observation hands over, read once: the files load_declarations reads
READ_ONCE = (REPOSITORY_FILE, *DECLARATION_DIRS)
STYLE_RULE = "yamllint"  # load/style.py's RULE (not imported: it imports yamllint)

Answer = tuple[list[Problem], list[str]]
Computed = tuple[list[Problem], list[str], "Repo | None"]


def base_spec() -> Spec:
    trees = (*tuple((d, MAX_DECLARATION_BYTES) for d in DECLARATION_DIRS), (INVENTORY_DIR, MAX_INVENTORY_BYTES))
    # yamllint reads its config whatever its size
    roots = ((REPOSITORY_FILE, MAX_DECLARATION_BYTES), *((name, _WHOLE) for name in CONFIG_NAMES))
    return Spec(trees, roots, ())


def spec_for(repo: Repo | None) -> Spec:
    """What a run that built `repo` read: the base spec and the paths its declarations name."""
    base = base_spec()
    if repo is None:
        return base
    from i4qew.model.config_files import MAX_CONFIG_BYTES, config_refs, plain_ref

    refs = sorted({ref for ref in config_refs(repo) if plain_ref(ref)})
    return Spec(base.trees, base.roots, tuple((ref, MAX_CONFIG_BYTES) for ref in refs))


def answer(root: Path, compute: Callable[[Mapping[str, bytes]], Computed]) -> Answer:
    """`compute(known)`'s problems and files, from the cache when the journal says the run
    would read what the stored one read. `known`: the bytes the journal's observation read
    of i4qew.yaml and the declarations (load_declarations does not read them again)."""
    where = store.active()
    if not where.on:
        problems, files, _ = compute({})
        return problems, files
    try:
        key = _key(root)
        held = _held(where.get(KIND, key, _CLASSES))
        # a folder this cache never saw (CI jobs may clone to a new path each time) starts
        # from the spec the last folder learnt: its first run can store an answer already
        learnt = held or _held(where.get(KIND, _key(None), _CLASSES))
        spec = learnt[0] if learnt is not None else base_spec()
        before = observe(root, spec, READ_ONCE) if _journaled(root) else None
    except Exception:  # the cache never fails a run: compute it
        before = None
    if before is not None and held is not None and held[1] == before.digest and held[2] is not None:
        return held[2]
    problems, files, repo = compute(before.read if before is not None else {})
    if before is not None:
        try:
            needed = spec_for(repo)
            if needed == spec and unchanged(root, spec, before) and _journaled(root):
                where.put(KIND, key, (spec.plain(), before.digest, (problems, files)))
                where.put(KIND, _key(None), (spec.plain(), before.digest, (judged(problems), [])))
            else:
                where.put(KIND, key, (needed.plain(), "", None))
        except Exception:
            pass
    return problems, files


def judged(problems: list[Problem]) -> list[Problem]:
    """validate_repo's part of `validate`'s problems: all but the repository's yamllint
    findings (cli/validate.py adds those)."""
    return [p for p in problems if p.rule != STYLE_RULE]


# validate_repo's problems, a check that the files are still as observed, the bytes the
# observation read of i4qew.yaml and the declarations, and the journal's digest
Answered = tuple[list[Problem], Callable[[], bool], Mapping[str, bytes], str]


def answered(root: Path, seen: dict[str, bytes] | None = None) -> Answered | None:
    """validate_repo's problems for `root` as the last `validate` of the same files found
    them, in any folder (CI's validate and publish jobs may clone to different paths), a
    check that the files are still as observed (stamps only), the bytes the observation
    read of i4qew.yaml and the declarations (the model is built from them: not read
    twice), and the digest of what was observed (every byte the problems depend on); None
    when the cache is off, holds no answer for these files, or fails. The entry's journal
    covers every byte the problems depend on; they name files by their path in the
    repository only (the yamllint findings, which may quote a config's absolute path, are
    not in it). `seen`: filled with the bytes the observation read when it finds other
    files (validate_repo computes from them: validation_from)."""
    where = store.active()
    if not where.on:
        return None
    try:
        got = _held(where.get(KIND, _key(None), _CLASSES))
        if got is None or not _journaled(root):
            return None
        spec, digest, found = got
        before = observe(root, spec, READ_ONCE) if found is not None else None
    except Exception:  # the cache never fails a run
        return None
    if found is None or before is None or before.digest != digest:
        if before is not None and seen is not None:
            seen.update(before.read)
        return None
    return found[0], lambda: unchanged(root, spec, before), before.read, digest


def validation(root: Path) -> Validation:
    """validate_repo(root) for a command that renders (publish): from `validate`'s stored
    answer when it holds one for these very files (the model built, nothing judged
    again), else computed (from the bytes the look for that answer read)."""
    seen: dict[str, bytes] = {}
    return validation_from(root, answered(root, seen), seen)


def validation_from(root: Path, got: Answered | None, seen: Mapping[str, bytes] | None = None) -> Validation:
    """validation(root) where `got` is answered(root, seen)."""
    from i4qew.validation import validate_repo, validated

    if got is not None:
        problems, still, read, _ = got
        found = validated(root, problems, read)
        if found is not None and still():
            return found
    return validate_repo(root, seen or None)


def libraries_key() -> str:
    """The entry answered() reads (the last answer, whatever its folder): it names the
    versions of the libraries that judged it."""
    return _key(None)


def _key(root: Path | None) -> str:
    """The entry of one folder's answer; None: the last answer, whatever its folder."""
    versions = _versions.get("held")
    if versions is None:  # read once per process: ~15 ms a time, and a run keys two or three entries
        versions = _versions["held"] = []
        for name in _LIBRARIES:
            try:
                versions.append(importlib.metadata.version(name))
            except importlib.metadata.PackageNotFoundError:
                versions.append("")
    where = [str(root.resolve()), str(root.absolute())] if root is not None else ["any folder", ""]
    return store.digest("\0".join([*where, *versions]).encode("utf-8", "surrogatepass"))


_versions: dict[str, list[str]] = memo.held("cli.validate_answer.versions", {})


def _held(got: object) -> tuple[Spec, str, Answer | None] | None:
    if not (isinstance(got, tuple) and len(got) == 3 and isinstance(got[1], str)):
        return None
    spec = Spec.of(got[0])
    if spec is None:
        return None
    found = got[2]
    if found is None:
        return spec, got[1], None
    if (isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], list) and isinstance(found[1], list)
            and all(isinstance(p, Problem) for p in found[0]) and all(isinstance(f, str) for f in found[1])):
        return spec, got[1], (found[0], found[1])
    return None


def _journaled(root: Path) -> bool:
    """False when the repository's yamllint config reads other files (`extends` a file,
    `ignore-from-file`): those are not in the journal."""
    for name in CONFIG_NAMES:
        path = root / name
        if path.is_symlink() or path.is_dir():
            return False
        if not path.is_file():
            continue
        text = path.read_bytes()
        if b"ignore-from-file" in text or (b"extends" in text and not _builtin_extends(text)):
            return False
    return True


def _builtin_extends(text: bytes) -> bool:
    import yaml_rs

    try:
        conf = yaml_rs.loads(text.decode("utf-8"))
    except Exception:  # not read the way yamllint reads it: not journaled
        return False
    return not isinstance(conf, dict) or conf.get("extends") in _BUILTIN_YAMLLINT
