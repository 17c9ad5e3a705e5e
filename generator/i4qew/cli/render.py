"""`i4qew render`: compile an environment's branch content into a directory."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from i4qew.cli.common import fail, repo_option, require_environments
from i4qew.model.repo import Repo
from i4qew.problems import ExitCode, Problem, UserError, has_errors

# What a render reads: a change here since the last commit makes the commit a lie.
DECLARATIONS = ("i4qew.yaml", "workloads", "policies", "models", "clusters")


def print_problems(problems: Sequence[Problem]) -> None:
    for p in problems:
        click.echo(p.format())


def exit_on_errors(problems: Sequence[Problem]) -> None:
    """Print every problem; exit 1 when one of them is an error."""
    print_problems(problems)
    if has_errors(problems):
        sys.exit(ExitCode.PROBLEMS)


def load_repo(repo_dir: Path, env: str) -> Repo:
    """The validated repository, with `env` known to it; exits 1 (problems printed) otherwise."""
    from i4qew.placement.expressible import repository_problems
    from i4qew.placement.fleet_fork import want_inventories
    from i4qew.validation import validate_repo

    want_inventories(repo_dir)  # render reads them after validating (a helper process sends its own back)
    result = validate_repo(repo_dir)
    if result.repo is not None:
        require_environments(result.repo.repository, env)
    exit_on_errors(result.problems)
    assert result.repo is not None
    exit_on_errors(repository_problems(result.repo, env))
    return result.repo


def source_commit(repo_dir: Path) -> str | None:
    """HEAD of the repository's git work tree (`<sha>-dirty` when the declarations
    differ from it); None outside git."""
    from i4qew.gitops.git import head_commit

    return head_commit(repo_dir, DECLARATIONS)


@click.command("render")
@repo_option
@click.option("--env", "env", required=True, help="The environment to render (a name from i4qew.yaml).")
@click.option("-o", "--output", "output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: out/ENV). Replaced as a whole; it must be empty, absent or "
                   "an earlier render.")
@click.option("--inventory", "inventory", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A ManagedCluster inventory file to plan over instead of clusters/.")
@click.option("--source-commit", "commit", default=None,
              help="The source commit the README states (default: git HEAD of the repository, "
                   "'<sha>-dirty' with uncommitted declarations; none outside git).")
def command(repo_dir: Path, env: str, output: Path | None, inventory: Path | None, commit: str | None) -> None:
    """Compile environment ENV (charts, hub resources, placement snapshot, README) into a folder.

    Validates first: any error is printed and nothing is written (exit 1)."""
    from i4qew.compile.render import render_tree
    from i4qew.emit import UnsafePath, write_tree
    from i4qew.placement.fleet import load_inventories

    repo = load_repo(repo_dir, env)
    try:
        inv, hubs, inv_problems = load_inventories(repo_dir, repo, inventory)
    except UserError as exc:
        fail(exc.text, exc.code)
        return
    exit_on_errors(inv_problems)
    try:
        tree = render_tree(repo, env, inventory=inv, hubs=hubs,
                           source_commit=commit if commit is not None else source_commit(repo_dir))
    except UserError as exc:
        print_problems(exc.problems)
        if exc.text:
            fail(exc.text, ExitCode.PROBLEMS)
        sys.exit(ExitCode.PROBLEMS)
    dest = output if output is not None else Path("out") / env
    try:
        write_tree(tree, dest)
    except UnsafePath as exc:
        fail(str(exc), ExitCode.PROBLEMS)
        return
    except OSError as exc:  # a full disk, a read-only folder: write_tree changed nothing
        fail(f"cannot write the render to {dest}: {exc.strerror or exc}; {dest} was left as it was",
             ExitCode.PROBLEMS)
        return
    click.echo(f"rendered {env}: {len(tree)} files in {dest}")
