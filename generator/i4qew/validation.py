"""The validation pipeline: load → schema → build → rules, every problem collected.

Used by `validate` and as the first stage of `render`, `plan` and `publish`:
a repository with errors is never compiled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from i4qew.load.files import REPOSITORY_FILE
from i4qew.load.repo import Loaded, load_declarations
from i4qew.model.build import build_repo
from i4qew.model.config_files import read_config_files
from i4qew.model.repo import Repo
from i4qew.placement.fleet_fork import FleetChecks, read_ahead
from i4qew.problems import Problem, Severity, has_errors, sort_problems
from i4qew.rules.catalog import run_rules
from i4qew.rules.declarations import sort_declarations
from i4qew.schema.check import check_document
from i4qew.text import mask_credentials


@dataclass
class Validation:
    repo: Repo | None
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


def read_repo(root: Path) -> Repo | None:
    """The model validate_repo builds, without judging it (no rules, no placement checks):
    all that a comparison with another revision reads of it (`plan --base`, promote's
    merge request). None where validate_repo's repo is None."""
    return _build(root)[0]


def _build(root: Path, known: Mapping[str, bytes] | None = None) -> tuple[Repo | None, list[Problem], Loaded]:
    loaded = load_declarations(root, known)
    problems = list(loaded.problems)
    found = sort_declarations((doc, check_document(doc)) for doc in loaded.documents)
    problems.extend(found.problems)
    if any(p.path == REPOSITORY_FILE and p.severity is Severity.ERROR for p in problems) and found.repository is None:
        # Without valid repository settings nothing below can be judged fairly.
        return None, problems, loaded
    repo = build_repo(found.repository, found.valid, problems, frozenset(found.declared))
    files, file_problems = read_config_files(root, repo)
    problems.extend(file_problems)
    return dataclasses.replace(repo, files=files), problems, loaded


def validated(root: Path, problems: list[Problem], known: Mapping[str, bytes] | None = None) -> Validation | None:
    """validate_repo(root) where its problems are already known (`validate`'s answer,
    kept in the persistent cache for the same files): the model built (from `known`,
    the bytes of files read already, load_found), nothing judged again. None when no
    model can be built."""
    repo, _, loaded = _build(root, known)
    return None if repo is None else Validation(repo, problems, loaded.files)


def validate_repo(root: Path, known: Mapping[str, bytes] | None = None) -> Validation:
    """`known`: the bytes of files this run read already (load_declarations)."""
    # A fleet's inventories are read on the other core while the model is built, where
    # that pays (placement/fleet_read.py); then its checks start, and the rules run on the
    # other core with some of its hubs (placement/fleet_fork.py).
    read = read_ahead(root)
    try:
        repo, problems, loaded = _build(root, known)
        if repo is None:
            return Validation(None, sort_problems(_masked(problems)), loaded.files)
        # Placement checks need the inventory under clusters/ (none there: no checks), or each
        # hub's under clusters/<hub>/.
        fleet = FleetChecks(root, repo, lambda: _without_cascades(run_rules(repo), loaded.problems), read)
        try:
            problems.extend(fleet.problems())  # the rules', then the fleet's
        finally:
            fleet.close()
    finally:
        if read is not None:
            read.close()
    return Validation(repo, sort_problems(_masked(problems)), loaded.files)


def _masked(problems: list[Problem]) -> list[Problem]:
    """Problems whose messages quote no credential: a rule that echoes a name or a path
    (a Secret name, an image, a file reference) may be echoing a pasted token, and
    plaintext-secret reports it without printing it."""
    out = []
    for p in problems:
        masked = mask_credentials(p.message)
        out.append(p if masked == p.message else dataclasses.replace(p, message=masked))
    return out


# A reference rule, and the folder whose unreadable files may hold its target.
_REFERENCE_FOLDERS = {"unknown-policy": "policies/", "unknown-model": "models/"}


def _without_cascades(problems: list[Problem], load_problems: list[Problem]) -> list[Problem]:
    """Drop "unknown policy/model" when a file that could declare it failed to
    load: the load problem is the one to fix, and the reference is judged again
    once the file reads."""
    broken = {folder for folder in _REFERENCE_FOLDERS.values()
              if any(p.path.startswith(folder) and p.severity is Severity.ERROR for p in load_problems)}
    return [p for p in problems if _REFERENCE_FOLDERS.get(p.rule) not in broken]
