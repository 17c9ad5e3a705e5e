"""Delivery through Argo CD in tests: the hub documents of a tree, this repository with
i4qew.yaml edits, and the Application Argo CD's clusterDecisionResource generator makes
from an ApplicationSet for one decided cluster."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from i4qew.compile.render import render_tree
from i4qew.model.repo import Repo
from i4qew.placement.inventory_load import load_inventory
from tests.support.repos import copy_repo, load
from tests.support.tools import ROOT

ARGO_NS = "openshift-gitops"


def render_dev() -> dict[str, bytes]:
    """This repository's dev branch (delivered by Argo CD) as render makes it."""
    repo = load(ROOT)
    inventory, problems = load_inventory(ROOT, None)
    assert not problems
    return render_tree(repo, "dev", inventory=inventory, source_commit=None)


def docs_in(tree: dict[str, bytes], prefix: str = "hub/") -> list[dict[str, Any]]:
    return [d for p, data in sorted(tree.items()) if p.startswith(prefix) and p.endswith(".yaml")
            for d in yaml.safe_load_all(data)]


def repo_with(dest: Path, *edits: tuple[str, str]) -> Repo:
    """This repository copied to `dest` with `old -> new` replacements in i4qew.yaml."""
    copy_repo(dest)
    text = (dest / "i4qew.yaml").read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    (dest / "i4qew.yaml").write_text(text)
    return load(dest)


def fasttemplate(text: str, params: dict[str, str]) -> str:
    """Argo CD's non-Go templating (applicationset/utils/utils.go Render.Replace, v3.5.1
    L429-440): `{{ key }}` (trimmed) becomes params[key]; unknown tags stay as written."""
    def sub(m: re.Match[str]) -> str:
        tag = m.group(1).strip()
        return params[tag] if tag and tag in params else m.group(0)
    return re.sub(r"\{\{(.*?)\}\}", sub, text)


def render_template(value: Any, params: dict[str, str]) -> Any:
    """Every string and map key of the template, as deeplyReplace walks them (L215-245)."""
    if isinstance(value, dict):
        return {fasttemplate(k, params): render_template(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [render_template(v, params) for v in value]
    if isinstance(value, str):
        return fasttemplate(value, params)
    return value


def generated_application(appset: dict[str, Any], cluster: str) -> dict[str, Any]:
    """The Application the generator makes for a decided cluster: parameters `name`
    and `server` from the cluster's Argo CD secret plus every key of the decision
    (duck_type.go L160-168), here clusterName and reason."""
    params = {"name": cluster, "server": f"https://api.{cluster}.example:6443", "clusterName": cluster,
              "reason": ""}
    template = render_template(appset["spec"]["template"], params)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {**template["metadata"], "namespace": appset["metadata"]["namespace"]},
            "spec": template["spec"]}
