"""`i4qew validate`: schema and semantic checks of the whole repository."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from i4qew.cli.common import repo_option, write_text
from i4qew.problems import ExitCode
from i4qew.report import REPORTERS
from i4qew.report.text import render as render_text


@click.command("validate")
@repo_option
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True,
              help="codequality: GitLab Code Quality JSON; junit: JUnit XML for the MR test report.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="Write the report to FILE; with a format other than text, the text report still goes to stdout.")
def command(repo_dir: Path, fmt: str, output: str | None) -> None:
    """Check every declaration of the repository; exit 1 when any error is found.

    Problems print as PATH:LINE:COL: severity [rule-id] message, sorted by file
    and line (docs/rules.md lists every rule). Exit codes: 0 no error (warnings
    allowed), 1 errors found, 2 usage error.
    """
    if not repo_dir.is_dir():
        raise click.BadParameter(f"{str(repo_dir)!r} is not a folder", param_hint="--repo")
    from i4qew.validation import validate_repo

    result = validate_repo(repo_dir)  # a crash is i4qew.cli.entry's to report (exit 5)
    report = REPORTERS[fmt](result.problems, result.files)
    if output:
        try:
            write_text(output, report)
        except OSError as exc:
            raise click.BadParameter(f"cannot write {output!r}: {exc.strerror or exc}", param_hint="--output") from None
        if fmt != "text":
            write_text(None, render_text(result.problems, result.files))
    else:
        write_text(None, report)
    sys.exit(ExitCode.OK if result.ok else ExitCode.PROBLEMS)
