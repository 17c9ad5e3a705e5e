"""Environments of i4qew.yaml: names, branches and the promotion chain."""

from __future__ import annotations

from collections.abc import Iterator

from i4qew.k8s import names as k8s_names
from i4qew.load.documents import Document
from i4qew.model.repo import Environment, Repo
from i4qew.problems import Problem
from i4qew.rules.registry import rule
from i4qew.text import did_you_mean, shorten

# The branches developers merge into: an environment branch there would be
# overwritten by generated content on every publish.
SOURCE_BRANCHES = ("main", "master")


def branch_problem(name: str) -> str | None:
    """Why `git check-ref-format --branch NAME` refuses NAME, or None (git-check-ref-format(1))."""
    if not name:
        return "must not be empty"
    if name.startswith("-"):
        return "must not start with '-'"
    if name == "HEAD":
        return "must not be HEAD"
    bad = [ch for ch in name if ord(ch) < 0x20 or ord(ch) == 0x7F or ch in " ~^:?*[\\"]
    if bad:
        shown = "a control character" if ord(bad[0]) < 0x20 or ord(bad[0]) == 0x7F else repr(bad[0])
        return f"must not contain {shown}"
    if ".." in name:
        return "must not contain '..'"
    if "@{" in name:
        return "must not contain '@{'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "must not start or end with '/' or contain '//'"
    if name.endswith("."):
        return "must not end with '.'"
    for part in name.split("/"):
        if part.startswith("."):
            return "must not have a part that starts with '.'"
        if part.endswith(".lock"):
            return "must not have a part that ends with '.lock'"
    return None


def _declared(repo: Repo) -> Document | None:
    """The i4qew.yaml document when it lists environments (the defaults are valid)."""
    doc = repo.repository.doc
    return doc if doc is not None and doc.data["spec"].get("environments") else None


def _path(env: Environment, field: str) -> tuple[str | int, ...]:
    return ("spec", "environments", env.index, field)


@rule(
    "environment-name",
    "environment names are DNS-1123 labels (they end hub object names) and unique",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments: [{name: dev, selector: \"stage=dev\"}, {name: production, selector: \"stage=production\"}]"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments: [{name: dev, selector: \"stage=dev\"}, {name: Production, selector: \"stage=production\"}]"
    ),
)
def check_names(repo: Repo) -> Iterator[Problem]:
    doc = _declared(repo)
    if doc is None:
        return
    seen: dict[str, int] = {}
    for env in repo.repository.environments:
        msg = k8s_names.dns1123_label(env.name)
        if msg:
            yield doc.problem(_path(env, "name"), "environment-name", f"environment name {shorten(env.name)!r} {msg}")
        elif env.name in seen:
            yield doc.problem(_path(env, "name"), "environment-name",
                              f"environment {env.name!r} is already declared at spec.environments[{seen[env.name]}]")
        seen.setdefault(env.name, env.index)


@rule(
    "environment-branch",
    "environment branches are valid git branch names (git check-ref-format), unique, and not main or master",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments: [{name: dev, branch: acm-dev}]"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments: [{name: dev, branch: 'acm dev'}, {name: production, branch: main}]"
    ),
)
def check_branches(repo: Repo) -> Iterator[Problem]:
    doc = _declared(repo)
    if doc is None:
        return
    seen: dict[str, str] = {}
    for env in repo.repository.environments:
        # a branch not written is the default one: point at the environment's name
        path = _path(env, "branch") if "branch" in doc.data["spec"]["environments"][env.index] else _path(env, "name")
        msg = branch_problem(env.branch)
        if msg:
            yield doc.problem(path, "environment-branch", f"branch {shorten(env.branch)!r} {msg}")
        elif env.branch in SOURCE_BRANCHES:
            yield doc.problem(path, "environment-branch",
                              f"branch {env.branch!r} is where the declarations live; generated content needs a "
                              f"branch of its own, e.g. acm-{env.name}")
        elif env.branch in seen:
            yield doc.problem(path, "environment-branch",
                              f"branch {env.branch!r} is already the branch of environment {seen[env.branch]}; "
                              "two environments on one branch would overwrite each other")
        seen.setdefault(env.branch, env.name)


@rule(
    "promotes-from",
    "promotesFrom names another declared environment, and promotions form no cycle",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments: [{name: dev}, {name: production, promotesFrom: dev}]"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments: [{name: dev, promotesFrom: production}, {name: production, promotesFrom: dev}]"
    ),
)
def check_promotion(repo: Repo) -> Iterator[Problem]:
    doc = _declared(repo)
    if doc is None:
        return
    envs = {e.name: e for e in repo.repository.environments}
    names = list(envs)
    for env in repo.repository.environments:
        src = env.promotes_from
        if src is None:
            continue
        if src == env.name:
            yield doc.problem(_path(env, "promotesFrom"), "promotes-from", f"environment {env.name} promotes from itself")
        elif src not in envs:
            yield doc.problem(_path(env, "promotesFrom"), "promotes-from",
                              f"unknown environment {src!r}{did_you_mean(src, names)}; environments: {', '.join(names)}")
    # A cycle is reported once, at the environment of the cycle declared first.
    reported: set[str] = set()
    for env in repo.repository.environments:
        chain = [env.name]
        here = env.promotes_from
        while here in envs and here not in chain and here != env.name:
            chain.append(here)
            here = envs[here].promotes_from
        if here == env.name and len(chain) > 1 and not reported & set(chain):
            reported.update(chain)
            cycle = " <- ".join([*chain, env.name])
            yield doc.problem(_path(env, "promotesFrom"), "promotes-from",
                              f"promotions form a cycle ({cycle}); one environment must be built from main")
