"""Publishing an environment with rollout waves, against real git (a bare repo served by
`git daemon` on 127.0.0.1): a new commit reaches the first wave only; the others stay
pinned, through wave branches that hold exactly the commits the pins and trailers name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.crds import crd_errors
from tests.support.git_remote import Site, edit, trailers
from tests.support.rollout import TWO_WAVES, subscription_waves_site

pytestmark = pytest.mark.slow

WAVES = TWO_WAVES
IMAGE = "image: registry.gitlab.com/i4q/vision/defect-detector:"


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with subscription_waves_site(tmp_path, WAVES, "dev rolls out in waves") as made:
        yield made


def docs(s: Site, rev: str, path: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(s.show(rev, path)) if d]


def subscriptions(s: Site, rev: str) -> dict[str, dict[str, str]]:
    """Subscription name -> its annotations, over every workload file of hub/."""
    out = {}
    for path in s.files(rev):
        if "/workloads/" in path and path.startswith("hub/"):
            for d in docs(s, rev, path):
                if d["kind"] == "Subscription":
                    out[d["metadata"]["name"]] = d["metadata"]["annotations"]
    return out


def publish(s: Site) -> str:
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 0, done.stderr
    branch = s.branch("acm-dev")
    assert branch is not None
    return branch


def bump(s: Site, tag: str) -> None:
    text = (s.work / "workloads" / "object-detection.yaml").read_text()
    old = next(line for line in text.splitlines() if IMAGE in line).strip()
    edit(s.work, "workloads/object-detection.yaml", old, old.rsplit(":", 1)[0] + f":{tag}", f"defect-detector {tag}")


def test_a_new_commit_reaches_the_first_wave_only(s: Site) -> None:
    first = publish(s)
    assert {a.get("apps.open-cluster-management.io/git-branch") for a in subscriptions(s, first).values()} == {"acm-dev"}
    assert s.branch("acm-dev-wave-rest") is None  # nothing to hold back yet
    state = docs(s, first, "hub/rollout.yaml")[0]["data"]
    assert (state["canary.commit"], state["rest.commit"], state["paused"]) == ("", "", "false")

    bump(s, "9.9.1")
    second = publish(s)
    assert trailers(s.bare, second)["I4qew-Wave"] == f"rest head -> {first}"
    assert s.branch("acm-dev-wave-rest") == first  # pushed with the environment branch
    subs = subscriptions(s, second)
    assert subs["defect-detector-dev-canary"]["apps.open-cluster-management.io/git-branch"] == "acm-dev"
    assert "apps.open-cluster-management.io/git-desired-commit" not in subs["defect-detector-dev-canary"]
    rest = subs["defect-detector-dev-rest"]
    assert rest["apps.open-cluster-management.io/git-branch"] == "acm-dev-wave-rest"
    assert rest["apps.open-cluster-management.io/git-desired-commit"] == first
    # what ACM's HelmRelease downloads (the wave branch's head) is the old chart; the canary's the new one
    assert "9.9.1" not in s.show("acm-dev-wave-rest", "charts/defect-detector/values.yaml")
    assert "9.9.1" in s.show(second, "charts/defect-detector/values.yaml")

    bump(s, "9.9.2")
    third = publish(s)
    assert "I4qew-Wave" not in trailers(s.bare, third)  # rest stays where it was
    assert s.branch("acm-dev-wave-rest") == first
    state = docs(s, third, "hub/rollout.yaml")[0]["data"]
    assert (state["canary.commit"], state["canary.previous"], state["rest.commit"]) == ("", second, first)


def test_every_wave_object_fits_its_crd(s: Site) -> None:
    publish(s)
    bump(s, "9.9.1")
    rev = publish(s)
    kinds: set[str] = set()
    errors: list[str] = []
    for path in s.files(rev):
        if path.startswith("hub/") and path.endswith(".yaml"):
            for d in docs(s, rev, path):
                kinds.add(d["kind"])
                if d["kind"] not in ("Namespace", "ConfigMap"):
                    errors += [f"{path}: {e}" for e in crd_errors(d)]
    assert errors == []
    placement = docs(s, rev, "hub/apps/i4q-vision/workloads/defect-detector.yaml")[0]
    assert placement["spec"]["decisionStrategy"] == {"groupStrategy": {"decisionGroups": [
        {"groupName": "canary", "groupClusterSelector": {"labelSelector": {"matchExpressions": [
            {"key": "site", "operator": "In", "values": ["bologna", "ljubljana"]}]}}}]}}
    assert {"Subscription", "Placement", "ConfigMap"} <= kinds
