"""The hubs of i4qew.yaml (`spec.hubs`): names that can name folders, once each."""

from __future__ import annotations

from collections.abc import Iterator

from i4qew.k8s import names as k8s_names
from i4qew.model.repo import Repo
from i4qew.problems import Problem
from i4qew.rules.registry import rule
from i4qew.text import shorten


@rule(
    "hub-name",
    "hub names are DNS-1123 labels (they name the folders clusters/<hub>/ and hub/<hub>/) and unique",
    passing="# i4qew.yaml\nspec:\n  hubs: [{name: east}, {name: west}]",
    failing="# i4qew.yaml\nspec:\n  hubs: [{name: East}, {name: west}, {name: west}]",
)
def check_hub_names(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None:
        return
    seen: dict[str, int] = {}
    for hub in repo.repository.hubs:
        path = ("spec", "hubs", hub.index, "name")
        msg = k8s_names.dns1123_label(hub.name)
        if msg:
            yield doc.problem(path, "hub-name", f"hub name {shorten(hub.name)!r} {msg}")
        elif hub.name in seen:
            yield doc.problem(path, "hub-name", f"hub {hub.name!r} is already declared at spec.hubs[{seen[hub.name]}]")
        seen.setdefault(hub.name, hub.index)
