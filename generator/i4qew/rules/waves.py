"""Rollout waves as declared (docs/rollout.md): names, order, the last wave, windows.

The checks that need the inventory (an empty wave, a wave holding everything, a
canary that proves nothing) live in placement/wave_checks.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from i4qew.k8s import names as k8s_names
from i4qew.k8s.selector_text import parse_selector
from i4qew.k8s.selectors import SelectorError
from i4qew.load.documents import Document
from i4qew.model.repo import Repo
from i4qew.model.waves import windows_of
from i4qew.model.windows import window_problem
from i4qew.problems import Problem
from i4qew.rules.registry import rule
from i4qew.text import shorten

Path = tuple[str | int, ...]


def _env_lists(repo: Repo) -> Iterator[tuple[Document, Path, list[dict[str, Any]]]]:
    doc = repo.repository.doc
    if doc is None:
        return
    for i, e in enumerate(doc.data["spec"].get("environments") or ()):
        if e.get("waves"):
            yield doc, ("spec", "environments", i, "waves"), e["waves"]


def _last_takes_rest(doc: Document, path: Path, waves: Sequence[Mapping[str, Any]]) -> Iterator[Problem]:
    last = waves[-1]
    for key in ("selector", "clusters", "percent"):
        if key in last:
            yield doc.problem((*path, len(waves) - 1, key), "wave-declaration",
                              f"the last wave ({shorten(str(last['name']))!r}) takes every cluster left: remove its "
                              f"{key}, or add a wave after it for the rest")


def _one_share(doc: Document, path: Path, wave: Mapping[str, Any]) -> Iterator[Problem]:
    if "clusters" in wave and "percent" in wave:
        yield doc.problem((*path, "percent"), "wave-declaration",
                          f"wave {shorten(str(wave['name']))!r} gives both clusters and percent: say how many "
                          "clusters it takes one way")


def _workload_lists(repo: Repo) -> Iterator[tuple[Document, Path, list[dict[str, Any]], list[str] | None, str]]:
    """(doc, path, waves, the environment's wave names or None, environment) per workload
    declaration and environment it applies to ("" when no environment has waves)."""
    doc = repo.repository.doc
    declared = (doc.data["spec"].get("environments") or ()) if doc is not None else ()
    # As written (not as built: a wave whose selector failed is still a wave to refer to).
    envs = {str(e["name"]): [str(w["name"]) for w in e.get("waves") or ()] for e in declared}
    for w in repo.workloads:
        raw = w.doc.data["spec"]
        overrides = {env: o["waves"] for env, o in (raw.get("environments") or {}).items()
                     if isinstance(o, dict) and o.get("waves")}
        if raw.get("waves"):
            waved = [env for env, names in envs.items() if names]
            # where no override replaces it; checked against one environment with waves even
            # when every one overrides it (its text still has to be a wave's)
            targets = [env for env in waved if env not in overrides] or waved[:1]
            for env in targets or [""]:
                yield w.doc, ("spec", "waves"), raw["waves"], envs.get(env) or None, env
        for env, waves in overrides.items():
            yield w.doc, ("spec", "environments", env, "waves"), waves, envs.get(env) or None, env


@rule(
    "wave-declaration",
    "waves have unique DNS-1123 names, the last one takes every cluster left, and a workload's own waves "
    "name its environment's waves in their order",
    passing=("# i4qew.yaml\n"
             "spec:\n"
             "  environments:\n"
             "    - name: dev\n"
             "      selector: \"stage=dev\"\n"
             "      waves: [{name: canary, selector: \"site=bologna\", soak: 24h}, {name: rest}]\n"
             "    - {name: production, selector: \"stage=production\", promotesFrom: dev}\n"),
    failing=("# i4qew.yaml\n"
             "spec:\n"
             "  environments:\n"
             "    - name: dev\n"
             "      selector: \"stage=dev\"\n"
             "      waves: [{name: canary}, {name: canary}, {name: rest}]   # canary twice\n"
             "    - {name: production, selector: \"stage=production\", promotesFrom: dev}\n"),
)
def check_declaration(repo: Repo) -> Iterator[Problem]:
    for doc, path, waves in _env_lists(repo):
        seen: set[str] = set()
        for j, wave in enumerate(waves):
            msg = k8s_names.dns1123_label(wave["name"])
            if msg:
                yield doc.problem((*path, j, "name"), "wave-declaration", f"wave name {shorten(wave['name'])!r} {msg}")
            elif wave["name"] in seen:
                yield doc.problem((*path, j, "name"), "wave-declaration",
                                  f"wave {wave['name']!r} is declared twice in this environment")
            seen.add(wave["name"])
            yield from _one_share(doc, (*path, j), wave)
        yield from _last_takes_rest(doc, path, waves)
        if repo.repository.placement_api == "PlacementRule":
            yield doc.problem(path, "wave-declaration",
                              "rollout waves need placementApi: Placement (a PlacementRule cannot say which "
                              "clusters a wave leaves to the next)", key=True)
    seen_problems: set[Problem] = set()
    for doc, path, waves, env_names, env in _workload_lists(repo):
        for p in _workload_problems(doc, path, waves, env_names, env):
            if p not in seen_problems:  # spec.waves checked against each environment: one answer
                seen_problems.add(p)
                yield p


def _workload_problems(doc: Document, path: Path, waves: list[dict[str, Any]], env_names: list[str] | None,
                       env: str) -> Iterator[Problem]:
    if env_names is None:
        where = f"environment {shorten(env)!r} declares no waves" if env else "no environment declares waves"
        yield doc.problem(path, "wave-declaration",
                          f"{where} in i4qew.yaml: a workload only redraws the clusters of its environment's waves",
                          key=True)
        return
    position = -1
    for j, wave in enumerate(waves):
        name = wave["name"]
        if name not in env_names[position + 1:]:
            why = "comes out of order" if name in env_names else "is not a wave of the environment"
            yield doc.problem((*path, j, "name"), "wave-declaration",
                              f"wave {shorten(name)!r} {why}; the environment's waves are, in order: "
                              f"{', '.join(env_names)}")
            return
        position = env_names.index(name)
        yield from _one_share(doc, (*path, j), wave)
        if "selector" in wave:
            try:
                parse_selector(wave["selector"])
            except SelectorError as exc:
                yield doc.problem((*path, j, "selector"), "selector-syntax", shorten(exc.message, 200),
                                  column_offset=exc.column - 1)
    yield from _last_takes_rest(doc, path, waves)


@rule(
    "wave-window",
    "maintenance windows have five valid cron fields and a known IANA time zone",
    passing=("# i4qew.yaml\n"
             "spec:\n"
             "  environments:\n"
             "    - name: dev\n"
             "      selector: \"stage=dev\"\n"
             "      waves:\n"
             "        - {name: canary, selector: \"site=bologna\"}\n"
             "        - {name: rest, windows: [{cron: \"0 22 * * 1-5\", duration: 4h, timeZone: Europe/Rome}]}\n"
             "    - {name: production, selector: \"stage=production\", promotesFrom: dev}\n"),
    failing=("# i4qew.yaml\n"
             "spec:\n"
             "  environments:\n"
             "    - name: dev\n"
             "      selector: \"stage=dev\"\n"
             "      waves:\n"
             "        - {name: canary, selector: \"site=bologna\"}\n"
             "        - {name: rest, windows: [{cron: \"0 25 * * *\", duration: 4h, timeZone: Europe/Rome}]}   # hour 25\n"
             "    - {name: production, selector: \"stage=production\", promotesFrom: dev}\n"),
)
def check_windows(repo: Repo) -> Iterator[Problem]:
    for doc, path, waves in _env_lists(repo):
        for j, wave in enumerate(waves):
            for k, window in enumerate(windows_of(wave.get("windows") or ())):
                msg = window_problem(window)
                if msg:
                    key = "timeZone" if msg.startswith("unknown time zone") else "cron"
                    yield doc.problem((*path, j, "windows", k, key), "wave-window", msg)
