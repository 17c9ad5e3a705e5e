"""The two-hub example of docs/hubs.md, copied where a test may change it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.support.git_remote import git
from tests.support.tools import ROOT

TWO_HUBS = ROOT / "docs" / "examples" / "two-hubs"


def two_hubs(dest: Path) -> Path:
    shutil.copytree(TWO_HUBS, dest)
    return dest


def push_two_hubs(work: Path) -> None:
    """Replace the declarations of a site's work tree with the two-hub example and push it to main."""
    for name in ("i4qew.yaml", "workloads", "policies", "models", "clusters"):
        target = work / name
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    shutil.copytree(TWO_HUBS, work, dirs_exist_ok=True)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "two hubs")
    git(work, "push", "-q", "origin", "HEAD:main")


def cluster_list(names: list[str], labels: dict[str, str] | None = None) -> str:
    """A `kubectl get managedclusters -o json` List of bare clusters."""
    items = [{"apiVersion": "cluster.open-cluster-management.io/v1", "kind": "ManagedCluster",
              "metadata": {"name": n, "labels": {"stage": "dev", "role": "line", **(labels or {})}},
              "spec": {"hubAcceptsClient": True}} for n in names]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
