"""The problems of the rules that judge each declaration on its own (`@local`,
rules/registry.py), kept per file in the persistent cache (i4qew/store.py): a run
judges only the files whose entry it does not hold, and takes the others' problems
from the cache (docs/caching.md).

A file's entry is keyed by its path, its text, which of its documents the model holds
(a declaration another file's error or a duplicate name kept out is not judged) and
i4qew.yaml's text (the settings every rule may read). The local rules run over the
repository restricted to the files without an entry (the repository settings and the
config files stay whole: their problems are judged every run); what they report at
those files becomes their entries. The cache answers nothing when a local rule fails
(its internal-error line is the whole run's), when a problem is reported at a file
whose entry was taken (the rule was not local after all), or when a config file is
also a declaration file: then the local rules run over the whole repository.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable

from i4qew import store
from i4qew.load.documents import Document
from i4qew.load.files import REPOSITORY_FILE
from i4qew.model.repo import Repo
from i4qew.problems import Problem, Severity

KIND = "rules"
MAX_ENTRIES = 120_000
_CLASSES = store.allow((Problem, Severity))
_NONE = store.dumps(())

# Run the local rules over a repository: their problems, and whether every rule ran
# without an error.
Runner = Callable[[Repo], tuple[list[Problem], bool]]


def local_problems(repo: Repo, run: Runner) -> list[Problem]:
    where = store.active()
    if not where.on:
        return run(repo)[0]
    files = _files(repo)
    if files is None:
        return run(repo)[0]
    packs = store.Packs(where, KIND, MAX_ENTRIES)
    kept: list[Problem] = []
    missed: set[str] = set()
    for path, key in files.items():
        got = _entry(packs.get(key))
        if got is None:
            missed.add(path)
        else:
            packs.use(key, got[0])
            kept.extend(got[1])
    found, ran = run(_restricted(repo, missed))
    if not ran or any(p.path in files and p.path not in missed for p in found):
        return run(repo)[0]
    at: dict[str, list[Problem]] = {path: [] for path in missed}
    for p in found:
        if p.path in at:
            at[p.path].append(p)
    for path, problems in at.items():
        try:
            packs.use(files[path], store.dumps(tuple(problems)) if problems else _NONE, new=True)
        except Exception:  # a problem pickle refuses: that file is judged again next run
            continue
    packs.save()
    return [*kept, *found]


def _files(repo: Repo) -> dict[str, str] | None:
    """Each declaration file's key (i4qew.yaml's excepted: it is judged every run), or
    None when the cache cannot answer for this repository."""
    docs: dict[str, list[Document]] = {}
    for d in repo.documents():
        docs.setdefault(d.path, []).append(d)
    if any(path in docs for path in repo.files):
        return None  # a config file that is also a declaration file: judged with the files
    doc = repo.repository.doc
    settings = hashlib.sha256(doc.source.text.encode("utf-8", "surrogatepass") if doc is not None else b"").digest()
    out: dict[str, str] = {}
    for path, found in docs.items():
        if path == REPOSITORY_FILE:
            continue
        h = hashlib.sha256(settings)
        present = repr(sorted((d.index, d.kind or "") for d in found))
        source = found[0].source  # its bytes' key when the loader has one, else its text
        for part in (path, present, f"key {source.key}" if source.key else f"text {source.text}"):
            data = part.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "big") + data)
        out[path] = h.hexdigest()
    return out


def _restricted(repo: Repo, paths: Iterable[str]) -> Repo:
    """The repository with only the declarations of `paths` (and all its settings and files)."""
    keep = {*paths, REPOSITORY_FILE}
    return dataclasses.replace(
        repo,
        workloads=tuple(w for w in repo.workloads if w.doc.path in keep),
        policies={n: p for n, p in repo.policies.items() if p.doc.path in keep},
        models={n: m for n, m in repo.models.items() if m.doc.path in keep})


def _entry(data: bytes | None) -> tuple[bytes, list[Problem]] | None:
    if data is None:
        return None
    if data == _NONE:
        return data, []
    try:
        got = store.loads(data, _CLASSES)
    except Exception:  # a bad entry is a miss
        return None
    if isinstance(got, tuple) and all(isinstance(p, Problem) for p in got):
        return data, list(got)
    return None
