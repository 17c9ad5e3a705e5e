"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

repo_option = click.option(
    "--repo", "-C", "repo_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".", show_default=True,
    help="The workload repository (the folder holding i4qew.yaml).",
)


def write_text(target: str | None, text: str) -> None:
    """Write to FILE, or to stdout for None or '-'."""
    if target in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    Path(target).write_text(text, encoding="utf-8")


def fail(message: str, code: int) -> None:
    """One line on stderr and the exit code; never a traceback."""
    click.echo(f"i4qew: error: {message}", err=True)
    sys.exit(code)
