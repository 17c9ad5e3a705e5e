"""`i4qew validate`: schema and semantic checks of the whole repository."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from i4qew.cli.common import parse_report, repo_option, write_text
from i4qew.problems import ExitCode, Problem, has_errors, sort_problems
from i4qew.report import REPORTERS
from i4qew.report.text import render as render_text

if TYPE_CHECKING:
    from i4qew.model.repo import Repo


@click.command("validate")
@repo_option
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True,
              help="codequality: GitLab Code Quality JSON; junit: JUnit XML for the MR test report.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="Write the report to FILE; with a format other than text, the text report still goes to stdout.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=FILE",
              help="Also write the report in FORMAT to FILE (repeatable): one run gives the job log, "
                   "the Code Quality and the JUnit report, e.g. --report codequality=gl-code-quality-report.json "
                   "--report junit=i4qew-junit.xml.")
def command(repo_dir: Path, fmt: str, output: str | None, reports: tuple[str, ...]) -> None:
    """Check every declaration of the repository; exit 1 when any error is found.

    Problems print as PATH:LINE:COL: severity [rule-id] message, sorted by file
    and line (docs/rules.md lists every rule). When the repository has a yamllint
    config (.yamllint, .yamllint.yaml or .yamllint.yml), its findings on the files
    validate reads are problems too (rule yamllint). Exit codes: 0 no error
    (warnings allowed), 1 errors found, 2 usage error.
    """
    targets = [parse_report(text, REPORTERS) for text in reports]
    if not repo_dir.is_dir():
        raise click.BadParameter(f"{str(repo_dir)!r} is not a folder", param_hint="--repo")
    from i4qew.cli.validate_answer import answer

    problems, files = answer(repo_dir, lambda known: _validate(repo_dir, known))
    for target_fmt, path in [*targets, *([(fmt, output)] if output else [])]:
        write_text(path, REPORTERS[target_fmt](problems, files))
    if output is None:
        write_text(None, REPORTERS[fmt](problems, files))
    elif fmt != "text":
        write_text(None, render_text(problems, files))
    sys.exit(ExitCode.PROBLEMS if has_errors(problems) else ExitCode.OK)


def _validate(repo_dir: Path, known: Mapping[str, bytes] | None = None) -> tuple[list[Problem], list[str], Repo | None]:
    """The problems (rules, placement, yamllint) and the files read (`known`: bytes read
    already, validate_repo)."""
    from i4qew.load.style import style_problems
    from i4qew.text import mask_credentials
    from i4qew.validation import validate_repo

    result = validate_repo(repo_dir, known)  # a crash is i4qew.cli.entry's to report (exit 5)
    style, linted = style_problems(repo_dir, result.problems)
    problems = sort_problems([*result.problems,
                              *(dataclasses.replace(p, message=mask_credentials(p.message)) for p in style)])
    return problems, sorted({*result.files, *linted}), result.repo
