"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from i4qew.problems import ExitCode, unknown_environment

if TYPE_CHECKING:
    from i4qew.model.repo import Repository

REPOSITORY_FILE = "i4qew.yaml"


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding i4qew.yaml, as git finds .git:
    `i4qew validate` works from workloads/ too. The search stops at the top of the git
    work tree (the folder holding .git); with no i4qew.yaml on the way, `start` itself
    (validation then says what is missing)."""
    here = start.absolute()
    for folder in (here, *here.parents):
        candidate = folder / REPOSITORY_FILE
        if candidate.exists() or candidate.is_symlink():  # a symlink: the loader refuses it there
            if folder == here:
                return start
            return folder if start.is_absolute() else Path(os.path.relpath(folder))
        if (folder / ".git").exists():
            break
    return start


def _discover(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """Without --repo, the repository around the current folder; --repo names it exactly."""
    if param.name is None or ctx.get_parameter_source(param.name) is not click.core.ParameterSource.DEFAULT:
        return value
    found = find_root(value)
    if found != value:
        click.echo(f"i4qew: the repository is {found} (the nearest folder holding {REPOSITORY_FILE}); "
                   "paths are relative to it", err=True)
    return found


repo_option = click.option(
    "--repo", "-C", "repo_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".", show_default=True, callback=_discover,
    help="The workload repository (the folder holding i4qew.yaml). Without it, the nearest folder holding "
         "i4qew.yaml at or above the current one, up to the top of the git work tree.",
)


def write_text(target: str | None, text: str) -> None:
    """Write to FILE, or to stdout for None or '-'. A file that cannot be written (no
    such folder, no permission, a full disk) is one line and exit 1, whichever option
    named it."""
    if target in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}", ExitCode.PROBLEMS)


def parse_report(text: str, formats: Iterable[str]) -> tuple[str, str]:
    """`--report FORMAT=FILE` (validate, plan): the format and the file; a usage error
    (exit 2) naming the formats otherwise."""
    known = sorted(formats)
    fmt, sep, path = text.partition("=")
    if not sep or fmt not in known or not path:
        raise click.BadParameter(f"{text!r}: give FORMAT=FILE with FORMAT one of {', '.join(known)}",
                                 param_hint="--report")
    return fmt, path


def require_environments(repository: Repository, *names: str) -> None:
    """Exit 2 when i4qew.yaml declares no environment of one of `names` (the one answer of
    plan, render, bootstrap, publish and promote)."""
    for name in names:
        if repository.environment(name) is None:
            fail(unknown_environment(name, (e.name for e in repository.environments)), ExitCode.USAGE)


def fail(message: str, code: int) -> None:
    """One line on stderr and the exit code; never a traceback."""
    click.echo(f"i4qew: error: {message}", err=True)
    sys.exit(code)
