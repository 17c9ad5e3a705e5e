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

The rules that judge each workload on its own given every policy and model (`@given`:
references, model version sources, host paths, object sizes) are kept the same way, in
packs of their own: a file that holds only workloads is keyed by its `@local` key and by
every policy and model (the files they are read from and which of their documents the
model holds), the names declared and the config files. They run over the repository
with all its policies and models and only the workloads of the files without an entry:
after a change to one workload, one file is judged; after a change to any policy or
model, every file is.
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
GIVEN_KIND = "given"  # the @given rules' packs
MAX_ENTRIES = 120_000
_CLASSES = store.allow((Problem, Severity))
_NONE = store.dumps(())

# Run the local rules over a repository: their problems, and whether every rule ran
# without an error.
Runner = Callable[[Repo], tuple[list[Problem], bool]]


def local_problems(repo: Repo, run: Runner, run_given: Runner | None = None) -> list[Problem]:
    """The problems of the `@local` rules (`run`), then those of the `@given` ones (`run_given`)."""
    where = store.active()
    files = _files(repo) if where.on else None
    found = run(repo)[0] if files is None else _cached(repo, run, store.Packs(where, KIND, MAX_ENTRIES), files,
                                                        _restricted)
    if run_given is None:
        return found
    given = None if files is None else _given_files(repo, files)
    return [*found, *(run_given(repo)[0] if given is None else
                      _cached(repo, run_given, store.Packs(where, GIVEN_KIND, MAX_ENTRIES), given,
                              lambda r, missed: _with_workloads(r, missed, given)))]


def _cached(repo: Repo, run: Runner, packs: store.Packs, files: dict[str, str],
            restrict: Callable[[Repo, set[str]], Repo]) -> list[Problem]:
    """`run`'s problems: each file's from its entry in `packs` (by its key in `files`), the
    others' from a run over the repository restricted to them (kept as their entries)."""
    kept: list[Problem] = []
    missed: set[str] = set()
    for path, key in files.items():
        got = _entry(packs.get(key))
        if got is None:
            missed.add(path)
        else:
            packs.use(key, got[0])
            kept.extend(got[1])
    found, ran = run(restrict(repo, missed))
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


def _given_files(repo: Repo, files: dict[str, str]) -> dict[str, str]:
    """The `@given` rules' key of each file that holds workloads only: its `@local` key and
    every policy and model (the files they are read from, which of their documents the
    model holds), the names declared and the config files. A file holding a policy or a
    model has no entry: the `@given` rules judge it every run."""
    h = hashlib.sha256(b"given 1\0")
    held: set[str] = set()
    for kind, docs in (("policy", (p.doc for p in repo.policies.values())), ("model", (m.doc for m in repo.models.values()))):
        for d in docs:
            held.add(d.path)
            # a key of the file's bytes (the documents cache), else its text, as the @local key
            part = f"{kind}\0{d.path}\0{d.index}\0" + (f"key {d.source.key}" if d.source.key else f"text {d.source.text}")
            data = part.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "big") + data)
    for part in (repr(sorted(repo.declared)), *(f"{path}\0{text}" for path, text in sorted(repo.files.items()))):
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big") + data)
    context = h.digest()
    return {path: hashlib.sha256(context + key.encode()).hexdigest() for path, key in files.items() if path not in held}


def _with_workloads(repo: Repo, paths: set[str], entries: dict[str, str]) -> Repo:
    """The repository with only the workloads of `paths` and of the files without an entry
    (and all its policies, models, settings and files)."""
    return dataclasses.replace(repo, workloads=tuple(w for w in repo.workloads
                                                     if w.doc.path in paths or w.doc.path not in entries))


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
