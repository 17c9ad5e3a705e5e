"""The two-hub example of docs/hubs.md, copied where a test may change it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.support.tools import ROOT

TWO_HUBS = ROOT / "docs" / "examples" / "two-hubs"


def two_hubs(dest: Path) -> Path:
    shutil.copytree(TWO_HUBS, dest)
    return dest


def cluster_list(names: list[str], labels: dict[str, str] | None = None) -> str:
    """A `kubectl get managedclusters -o json` List of bare clusters."""
    items = [{"apiVersion": "cluster.open-cluster-management.io/v1", "kind": "ManagedCluster",
              "metadata": {"name": n, "labels": {"stage": "dev", "role": "line", **(labels or {})}},
              "spec": {"hubAcceptsClient": True}} for n in names]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
