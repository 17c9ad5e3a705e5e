"""The validation pipeline: load → schema → build → rules, every problem collected.

Used by `validate` and as the first stage of `render`, `plan` and `publish`:
a repository with errors is never compiled.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from i4qew.load.documents import Document
from i4qew.load.files import REPOSITORY_FILE
from i4qew.load.repo import load_declarations
from i4qew.model.build import build_repo
from i4qew.model.config_files import read_config_files
from i4qew.model.repo import Repo
from i4qew.problems import Problem, Severity, has_errors, sort_problems
from i4qew.rules.registry import run_rules
from i4qew.schema.check import check_document

FOLDER_OF_KIND = {"Workload": "workloads/", "PlacementPolicy": "policies/", "Model": "models/"}


@dataclass
class Validation:
    repo: Repo | None
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


def validate_repo(root: Path) -> Validation:
    loaded = load_declarations(root)
    problems = list(loaded.problems)
    valid: list[Document] = []
    repo_docs: list[Document] = []
    declared: set[tuple[str, str]] = set()
    seen: dict[tuple[str, str], Document] = {}
    for doc in loaded.documents:
        doc_problems = check_document(doc)
        problems.extend(doc_problems)
        kind, name = doc.kind, doc.name
        if kind and name:
            declared.add((kind, name))
        if kind == "Repository":
            if doc.path != REPOSITORY_FILE:
                problems.append(doc.problem(("kind",), "kind-location", "kind Repository belongs in i4qew.yaml at the repository root"))
                continue
            if repo_docs:
                problems.append(doc.problem(("kind",), "duplicate-name", "i4qew.yaml must hold exactly one Repository document"))
                continue
            if not doc_problems:
                repo_docs.append(doc)
            continue
        if doc.path == REPOSITORY_FILE and kind is not None:
            problems.append(doc.problem(("kind",), "kind-location", f"i4qew.yaml holds only the Repository; move this {kind} to {FOLDER_OF_KIND.get(kind, 'its folder')}"))
            continue
        folder = FOLDER_OF_KIND.get(kind or "")
        if folder and not doc.path.startswith(folder):
            problems.append(doc.problem(("kind",), "kind-location", f"a {kind} belongs under {folder}", Severity.WARNING))
        if kind and name and kind != "Workload":
            first = seen.setdefault((kind, name), doc)
            if first is not doc:
                problems.append(doc.problem(("metadata", "name"), "duplicate-name",
                                            f"{kind} '{name}' is already declared at {first.path}:{first.at(('metadata', 'name'))[0]}"))
                continue
        if not doc_problems:
            valid.append(doc)
    if any(p.path == REPOSITORY_FILE and p.severity is Severity.ERROR for p in problems) and not repo_docs:
        # Without valid repository settings nothing below can be judged fairly.
        return Validation(None, sort_problems(_masked(problems)), loaded.files)
    repo = build_repo(repo_docs[0] if repo_docs else None, valid, problems, frozenset(declared))
    files, file_problems = read_config_files(root, repo)
    problems.extend(file_problems)
    repo = dataclasses.replace(repo, files=files)
    problems.extend(_without_cascades(run_rules(repo), loaded.problems))
    # Placement checks need the inventory under clusters/ (none there: no checks).
    from i4qew.placement.checks import inventory_problems

    problems.extend(inventory_problems(root, repo))
    return Validation(repo, sort_problems(_masked(problems)), loaded.files)


def _masked(problems: list[Problem]) -> list[Problem]:
    """Problems whose messages quote no credential: a rule that echoes a name or a path
    (a Secret name, an image, a file reference) may be echoing a pasted token, and
    plaintext-secret reports it without printing it."""
    from i4qew.rules.secrets import mask_credentials

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
