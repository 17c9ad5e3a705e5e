"""`i4qew plan`: placement decisions per workload, and what a change does to them."""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from i4qew.cli.common import fail, parse_report, repo_option, require_environments, write_text
from i4qew.problems import ExitCode, Problem, Severity, has_errors, sort_problems

if TYPE_CHECKING:
    from i4qew.cli.validate_answer import Answered
    from i4qew.model.repo import Repo
    from i4qew.placement.picture.aggregate import Picture
    from i4qew.placement.plan import Plan

FORMATS = ("text", "markdown", "json", "html", "svg")


def _now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an RFC 3339 time", param_hint="--now") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@click.command("plan")
@click.option("--env", "env", required=True, help="The environment to plan (a name in i4qew.yaml).")
@repo_option
@click.option("--inventory", "inventory_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="ManagedClusters (YAML or JSON, kubectl -o yaml/json) instead of clusters/.")
@click.option("--base", "base_rev", default=None,
              help="A git revision of the same repository to compare with (e.g. origin/main).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="html: the placement page (docs/plan-html.md); svg: the site matrix picture.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None, help="Write to FILE.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=FILE",
              help="Also write the plan in FORMAT to FILE (repeatable), from the same run: e.g. --format markdown "
                   "--report html=plan.html --report svg=plan.svg.")
@click.option("--group-by", "group_by", default="site", show_default=True,
              help="Cluster label whose values group clusters in summaries.")
@click.option("--max-list", "max_list", type=int, default=20, show_default=True,
              help="Text format: cluster names listed per workload (0: all).")
@click.option("--now", "now_text", default=None,
              help="Evaluate tolerationSeconds at this RFC 3339 time (default: the newest taint time of the inventory).")
def command(env: str, repo_dir: Path, inventory_file: Path | None, base_rev: str | None, fmt: str,
            output: str | None, reports: tuple[str, ...], group_by: str, max_list: int, now_text: str | None) -> None:
    """Which clusters each workload of ENV lands on; with --base, the clusters gained and lost.

    The decisions follow OCM's Placement semantics over the inventory (clusters/ or
    --inventory). Exit 1 when validation finds an error (the plan is still shown when
    the repository could be read)."""
    from i4qew.cli import plan_answer
    from i4qew.cli.validate_answer import answered, libraries_key

    targets = [parse_report(text, FORMATS) for text in reports]
    now = _now(now_text)
    formats = {fmt, *(f for f, _ in targets)}
    # `validate` of these very files, run before with the same persistent cache, judged
    # them already (cli/validate_answer.py); a plan of them with these options may be kept too
    seen: dict[str, bytes] = {}  # what the look for that answer read, when it found other files
    got = answered(repo_dir, seen)
    keep = None
    if got is not None and base_rev is None and inventory_file is None:
        entry = plan_answer.key(libraries_key(), got[3], env, formats, group_by, max_list, now)
        kept = plan_answer.get(entry, formats)
        if kept is not None and got[1]():
            _finish(kept[0], fmt, output, targets, kept[1])
        keep = plan_answer.keeper(entry, got[1])

    from i4qew.placement import fleet_plan_fork
    from i4qew.placement.fleet_fork import prefetch_inventories

    if base_rev is None and inventory_file is None and now is None and formats <= fleet_plan_fork.FORMATS:
        from i4qew.placement.fleet_plan import render_hubs  # what the helper runs for its hubs

        fleet_plan_fork.want(repo_dir, fleet_plan_fork.Wanted(env, frozenset(formats), group_by, max_list,
                                                              render_hubs))
    prefetch_inventories(repo_dir, inventory_file, env, now)  # read on the other core (fleet_fork.py)
    try:
        _plan(repo_dir, got, seen, env, inventory_file, base_rev, fmt, output, targets, group_by, max_list, now, keep)
    finally:
        fleet_plan_fork.release(repo_dir)  # a helper still planning its hubs (fleet_plan_fork.py) is ended


def _plan(repo_dir: Path, got: Answered | None, seen: dict[str, bytes], env: str, inventory_file: Path | None,
          base_rev: str | None, fmt: str, output: str | None, targets: list[tuple[str, str]], group_by: str,
          max_list: int, now: datetime | None, keep: Keep | None) -> None:
    from i4qew.cli.validate_answer import validation_from
    from i4qew.placement.checks import placement_problems
    from i4qew.placement.inventory_load import load_inventory
    from i4qew.placement.plan import build_plan
    from i4qew.rules.placement import PLACEMENT_RULES

    formats = {fmt, *(f for f, _ in targets)}
    result = validation_from(repo_dir, got, seen)  # validate_repo's answer: only the model is built when `got` holds
    problems = result.problems
    repo = result.repo
    if repo is not None:
        require_environments(repo.repository, env)
        if repo.repository.hubs:
            _fleet(repo_dir, repo, env, problems, inventory_file, base_rev, fmt, output, targets, group_by, max_list,
                   now, keep)
            return
    inventory, inv_problems = load_inventory(repo_dir, inventory_file)
    if inventory_file is not None or now is not None:
        # validate_repo judged clusters/ at the default time; judge what this plan uses.
        problems = [p for p in problems if p.rule not in PLACEMENT_RULES and not p.path.startswith("clusters/")]
        problems += inv_problems
        if repo is not None and inventory is not None and not has_errors(inv_problems):
            problems += placement_problems(repo, inventory, now=now)
        problems = sort_problems(problems)
    if repo is None or any(p.severity is Severity.ERROR and p.rule not in PLACEMENT_RULES for p in problems):
        _report_only(problems, fmt, output, env, targets)
        return

    base_repo = base_inventory = None
    with tempfile.TemporaryDirectory(prefix="i4qew-base-") as tmp:
        if base_rev is not None:
            base_root, base_repo = _base(repo_dir, base_rev, Path(tmp))
            if inventory_file is None:
                base_inventory, _ = load_inventory(base_root)
        plan = build_plan(repo, env, inventory, base_repo=base_repo, base_inventory=base_inventory,
                          base_label=base_rev, now=now)
    if base_repo is not None and base_rev is not None:
        from i4qew.rules.guard_changes import change_problems
        from i4qew.text import mask_credentials

        changed = [dataclasses.replace(p, message=mask_credentials(p.message))
                   for p in change_problems(base_repo, repo, base_rev)]
        problems = sort_problems([*problems, *changed])
    texts = _texts(repo, plan, problems, formats, group_by, max_list, now)
    _finish(texts, fmt, output, targets, problems, keep)


Keep = Callable[[dict[str, str], list[Problem]], None]


def _finish(texts: dict[str, str], fmt: str, output: str | None, targets: list[tuple[str, str]],
            problems: list[Problem], keep: Keep | None = None) -> NoReturn:
    """Write the plan; `keep`: what stores it as the answer to the same files and options."""
    if keep is not None:
        keep(texts, problems)
    for target_fmt, path in targets:
        write_text(path, texts[target_fmt])
    write_text(output, texts[fmt])
    if output and problems:
        sys.stderr.write("".join(p.format() + "\n" for p in problems))
    sys.exit(ExitCode.PROBLEMS if has_errors(problems) else ExitCode.OK)


def _base(repo_dir: Path, base_rev: str, tmp: Path) -> tuple[Path, Repo]:
    """The repository at --base REV, extracted under `tmp`, and its model."""
    from i4qew.cli.plan_checkout import checkout
    from i4qew.validation import read_repo

    base_root = checkout(repo_dir, base_rev, tmp)
    base_repo = read_repo(base_root)  # its model only: the base's problems are not this plan's
    if base_repo is None:
        fail(f"--base {base_rev}: the repository at that revision cannot be read (run i4qew validate there)",
             ExitCode.PROBLEMS)
    assert base_repo is not None
    return base_root, base_repo


def _fleet(repo_dir: Path, repo: Repo, env: str, problems: list[Problem], inventory_file: Path | None,
           base_rev: str | None, fmt: str, output: str | None, targets: list[tuple[str, str]], group_by: str,
           max_list: int, now: datetime | None, keep: Keep | None) -> None:
    """`plan` of a repository with spec.hubs: each hub over clusters/<hub>/, and the fleet."""
    from i4qew.placement.fleet import fleet_problems, load_hubs
    from i4qew.placement.fleet_plan import (
        build_fleet_plan,
        fleet_texts,
        render_fleet_json,
        render_fleet_markdown,
        render_fleet_text,
    )
    from i4qew.placement.fleet_plan_fork import pending
    from i4qew.rules.placement import (
        PLACEMENT_RULES,  # the fleet's ids (hub-*) are placement ids too
    )

    formats = {fmt, *(f for f, _ in targets)}
    if inventory_file is not None:
        fail(f"--inventory {inventory_file}: i4qew.yaml declares hubs (spec.hubs), and each hub plans over its own "
             "folder clusters/<hub>/; put the ManagedClusters there", ExitCode.USAGE)
    if pending(repo_dir) is not None and base_rev is None and now is None:  # the helper plans its hubs
        if any(p.severity is Severity.ERROR and p.rule not in PLACEMENT_RULES for p in problems):
            _report_only(problems, fmt, output, env, targets)
        texts = fleet_texts(repo_dir, repo, env, problems, formats, group_by, max_list)
        if texts is not None:
            _finish(texts, fmt, output, targets, problems, keep)
    inventories, inv_problems = load_hubs(repo_dir, repo)
    if now is not None:  # validate_repo judged the hubs at the default time
        problems = sort_problems([*(p for p in problems if p.rule not in PLACEMENT_RULES
                                    and not p.path.startswith("clusters/")),
                                  *inv_problems, *fleet_problems(repo, inventories, now=now)])
    if any(p.severity is Severity.ERROR and p.rule not in PLACEMENT_RULES for p in problems):
        _report_only(problems, fmt, output, env, targets)
        return
    with tempfile.TemporaryDirectory(prefix="i4qew-base-") as tmp:
        base_repo = base_inventories = None
        if base_rev is not None:
            base_root, base_repo = _base(repo_dir, base_rev, Path(tmp))
            if base_repo.repository.hubs:
                base_inventories = load_hubs(base_root, base_repo)[0]
        plans = build_fleet_plan(repo, env, inventories, base_repo=base_repo, base_inventories=base_inventories,
                                 base_label=base_rev, now=now)
    texts = {}
    if formats & {"html", "svg"}:
        texts.update(_fleet_pictures(repo, plans, problems, formats, group_by, now))
    if "markdown" in formats:
        texts["markdown"] = render_fleet_markdown(env, plans, problems, group_by)
    if "json" in formats:
        texts["json"] = render_fleet_json(env, plans, problems, group_by)
    if "text" in formats:
        texts["text"] = render_fleet_text(env, plans, problems, group_by, max_list)
    _finish(texts, fmt, output, targets, problems, keep)


def _fleet_pictures(repo: Repo, plans: dict[str, Plan], problems: list[Problem], formats: set[str], group_by: str,
                    now: datetime | None) -> dict[str, str]:
    """The fleet's placement picture: each hub's, its sites named `<hub>/<site>`."""
    from i4qew.placement.fleet_plan import fleet_headline
    from i4qew.placement.picture.aggregate import build_picture
    from i4qew.placement.picture.fleet import fleet_picture

    pictures = {hub.name: build_picture(repo.for_hub(hub), plans[hub.name], problems, group_by=group_by, now=now,
                                        ordered=False)  # fleet_picture orders the fleet's rows
                for hub in repo.repository.hubs}
    return _pictures(fleet_picture(pictures, fleet_headline(plans, problems)), formats)


def _texts(repo: Repo, plan: Plan, problems: list[Problem], formats: set[str], group_by: str, max_list: int,
           now: datetime | None) -> dict[str, str]:
    """The plan in each of `formats`; the picture is built once for html and svg."""
    from i4qew.placement.plan_format import render_json, render_markdown, render_text

    out: dict[str, str] = {}
    if formats & {"html", "svg"}:
        from i4qew.placement.picture.aggregate import build_picture

        out.update(_pictures(build_picture(repo, plan, problems, group_by=group_by, now=now), formats))
    if "markdown" in formats:
        out["markdown"] = render_markdown(plan, problems, group_by)
    if "json" in formats:
        out["json"] = render_json(plan, problems, group_by)
    if "text" in formats:
        out["text"] = render_text(plan, problems, group_by, max_list)
    return out


def _pictures(picture: Picture, formats: set[str]) -> dict[str, str]:
    from i4qew.placement.picture.page import render_html
    from i4qew.placement.picture.svg import render_svg

    out = {}
    if "html" in formats:
        out["html"] = render_html(picture).decode("utf-8")
    if "svg" in formats:
        out["svg"] = render_svg(picture).decode("utf-8")
    return out


def _report_only(problems: list[Problem], fmt: str, output: str | None, env: str,
                 targets: list[tuple[str, str]]) -> None:
    """Validation failed before planning: the problems, in the requested formats (the
    page and the picture say there is no plan, and why). Exit 1."""
    formats = {fmt, *(f for f, _ in targets)}
    texts: dict[str, str] = {}
    if formats & {"html", "svg"}:
        from i4qew.placement.picture.aggregate import no_plan

        texts.update(_pictures(no_plan(env, problems), formats))
    if "markdown" in formats:
        from i4qew.placement.plan_format import MARKER

        shown = [p.format() for p in problems[:50]] + ([f"… {len(problems) - 50} more"] if len(problems) > 50 else [])
        texts["markdown"] = "\n".join([MARKER.format(env=env), f"### i4qew plan: `{env}`", "",
                                       "No plan: the repository does not validate.", "", "```", *shown, "```"]) + "\n"
    if "json" in formats:
        import json

        texts["json"] = json.dumps({"problems": [{"path": p.path, "line": p.line, "column": p.column,
                                                  "severity": p.severity.value, "rule": p.rule, "message": p.message}
                                                 for p in problems]}, indent=2, sort_keys=True) + "\n"
    texts["text"] = "".join(p.format() + "\n" for p in problems)
    for target_fmt, path in targets:
        write_text(path, texts[target_fmt])
    if fmt != "text" or output:  # text on stdout: the problems below are the report
        write_text(output, texts[fmt])
    sys.stderr.write(texts["text"])
    sys.exit(ExitCode.PROBLEMS)
