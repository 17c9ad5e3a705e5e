"""This repository's own declarations as test fixtures: copies, a PlacementRule variant,
the validated model, the example inventory."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from i4qew.model.repo import Repo
from i4qew.validation import validate_repo
from tests.support.tools import ROOT


def copy_repo(dest: Path, src: Path = ROOT) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("i4qew.yaml", "workloads", "policies", "models", "clusters"):
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name)
        else:
            shutil.copy2(src / name, dest / name)
    return dest


def variant_repo(dest: Path, *, api: str = "PlacementRule", tolerate_offline: bool = True) -> Path:
    """This repository with the two placements a PlacementRule cannot express made
    expressible (one architecture for sktime; the CNC gateways chosen by site, an OR
    over one key that folds into `site in (...)`), and `api` as its placementApi."""
    copy_repo(dest)
    edits = {
        "i4qew.yaml": ("placementApi: Placement", f"placementApi: {api}"),
        "workloads/sktime.yaml": ("architectures: [amd64, arm64]", "architectures: [amd64]"),
        "policies/vision.yaml": (
            '  anyOf:\n    - selector: "role=cnc-gateway"\n    - matchLabels: {site: ljubljana}\n'
            "      matchExpressions:\n        - {key: tier, operator: In, values: [far-edge]}\n",
            ("  tolerateOffline: false\n" if not tolerate_offline else "")
            + '  anyOf:\n    - selector: "site=ljubljana"\n    - selector: "site=porto"\n',
        ),
    }
    for name, (old, new) in edits.items():
        text = (dest / name).read_text()
        assert old in text, f"{name} changed: update variant_repo"
        (dest / name).write_text(text.replace(old, new))
    if api == "PlacementRule":  # which feeds no ApplicationSet: every environment by Subscription
        set_delivery(dest, "subscription")
        without_waves(dest)
    return dest


def set_delivery(dest: Path, delivery: str) -> None:
    """Every environment of the copy at `dest` delivered by `delivery`."""
    text = (dest / "i4qew.yaml").read_text()
    assert "      delivery: applicationset\n" in text, "i4qew.yaml changed: update set_delivery"
    text = text.replace("      delivery: applicationset\n", "")
    (dest / "i4qew.yaml").write_text(text.replace("  delivery: subscription\n", f"  delivery: {delivery}\n"))


def without_waves(dest: Path) -> None:
    """This repository's i4qew.yaml without production's rollout waves (they need
    placementApi: Placement: rule wave-declaration)."""
    text = (dest / "i4qew.yaml").read_text()
    start = text.index("      # A new commit reaches")
    (dest / "i4qew.yaml").write_text(text[:start] + text[text.index("  defaults:"):])


# validate reports what the hub compiler cannot express (placement-api) too;
# these tests exercise the compiler's own reporting.
HUB_RULES = {"placement-api"}


def load(root: Path) -> Repo:
    result = validate_repo(root)
    others = [p.format() for p in result.problems if p.rule not in HUB_RULES and p.severity.value == "error"]
    assert not others, others
    assert result.repo is not None
    return result.repo


def inventory(path: Path = ROOT / "clusters" / "managedclusters.yaml") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = yaml.safe_load(path.read_text())["items"]
    return items
