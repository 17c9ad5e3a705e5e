"""Entry point. Subcommands are imported only when invoked, so `i4qew validate`
never pays for the git and GitLab edges (python-gitlab: ~145 ms) at start-up."""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import NoReturn

import click

from i4qew import __version__
from i4qew.cli.entry import main

__all__ = ["COMMANDS", "cli", "main", "run"]

# command name -> module under i4qew.cli exposing `command`
COMMANDS: dict[str, str] = {
    "init": "init",
    "validate": "validate",
    "render": "render",
    "plan": "plan",
    "publish": "publish",
    "promote": "promote",
    "bootstrap": "bootstrap",
    "schema": "schema",
    "mr-note": "mr_note",
    "rollout": "rollout",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"i4qew.cli.{module_name}")
        command: click.Command = module.command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Exit codes: 0 ok, 1 problems found or refused, 2 usage error, 3 the remote "
                    "branch kept moving (retries ran out), 4 an external service failed (git remote, "
                    "GitLab API), 5 internal error (a bug in i4qew, or a missing dependency: the "
                    "message names the module and a file holding the traceback).")
@click.version_option(__version__, prog_name="i4qew")
def cli() -> None:
    """i4qew: validate, plan and publish AI workloads for ACM-managed edge clusters."""


def run() -> None:
    # A short-lived process: parsing a 10,000-cluster inventory allocates millions of
    # acyclic dicts and lists, and the cyclic collector's full passes over them cost
    # ~20 % of `plan`. Reference counting still frees everything; nothing i4qew
    # builds relies on cycle collection.
    gc.disable()
    # click exits 2 on usage errors, which is the spec's code for them. A crash is
    # i4qew.cli.entry's to report (exit 5).
    try:
        cli.main(prog_name="i4qew", standalone_mode=True)
    except SystemExit as exc:
        leave(exc.code)
    leave(0)


def leave(code: object) -> NoReturn:
    """Exit with `code` without tearing the interpreter down: at exit Python collects and
    frees every object the run still holds (after `plan` of issue 17's 5x fleet, millions:
    2-3 s of CPU for nothing). What an exit must do is done here: the output flushed, a
    prefetch still running joined (the only thread or process i4qew leaves behind)."""
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"), as Python shows it
        sys.stderr.write(f"{code}\n")
        code = 1
    inventory_load = sys.modules.get("i4qew.placement.inventory_load")
    if inventory_load is not None:
        inventory_load.end_prefetch()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what Python's own exit reports as 120
            code = code or 120
    os._exit(code)
