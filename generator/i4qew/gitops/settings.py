"""Repository settings (environments, branches) read straight from a commit.

Publish needs the environment's branch before it knows whether anything must be
rendered, and promote needs them for the commit it promotes; reading only
i4qew.yaml keeps an unchanged publish from loading thousands of declarations.
Anything wrong with the file is left to the full validation to report.
"""

from __future__ import annotations

from i4qew.gitops.settings_plain import repository_document
from i4qew.gitops.source import Source
from i4qew.load.documents import Document, SourceFile
from i4qew.load.files import REPOSITORY_FILE
from i4qew.model.build import build_repository
from i4qew.model.repo import Environment, Repository
from i4qew.problems import ExitCode, UserError, has_errors, unknown_environment
from i4qew.schema.check import check_document


def settings_at(source: Source, blob: str | None) -> Repository | None:
    """The Repository declared by the i4qew.yaml blob `blob`; None when it is missing or invalid."""
    found = repository_document(source, blob)
    if found is None:
        return None
    text, index, data = found
    doc = Document(SourceFile(REPOSITORY_FILE, text), index, data)
    problems = check_document(doc)
    if has_errors(problems):
        return None
    repository = build_repository(doc, problems)
    return None if has_errors(problems) else repository


def environment(settings: Repository, name: str) -> Environment:
    env = settings.environment(name)
    if env is None:
        raise UserError(unknown_environment(name, (e.name for e in settings.environments)), ExitCode.USAGE)
    return env
