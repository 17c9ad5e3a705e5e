"""A workload meets its model in every rollout wave, against real git (a bare repo served by
`git daemon` on 127.0.0.1): the staging charts follow the branch head, so they keep the model
versions that held-back waves still run (and may roll back to), with the entries their own
commits staged them with, until no wave pins those commits any more."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew.gitops.rollout import RolloutRequest, rollout
from tests.support.git_remote import Site, clean_environ, edit, git, site
from tests.support.rollout import TWO_WAVES, pub, subscription_waves_site

pytestmark = pytest.mark.slow

WAVES = TWO_WAVES
BRANCH = "acm-dev"
IMAGE = "image: registry.gitlab.com/i4q/vision/defect-detector:"
STAGING = "staging/i4q-vision/yolo-defects/values.yaml"  # a PVC model: staged in the workload's namespace
V3_DIGEST = "sha256:ca9514abc6824fb9b249190cf45b6de85d81d4992c2f625e50236d9d85c57f35"
V4 = ('    - version: "2024.4"\n'
      "      source: oci://registry.gitlab.com/i4q/models/yolo-defects@sha256:"
      "4f1c1a5d2e0a3b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c\n"
      "      size: 111Mi\n")


@pytest.fixture(params=["subscription", "applicationset"])
def s(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """dev by Subscription, and as this repository declares it, by Argo CD: either way the
    staging charts follow the branch head."""
    if request.param == "subscription":
        with subscription_waves_site(tmp_path, WAVES, "dev rolls out in two waves") as made:
            yield made
        return
    with site(tmp_path) as made:
        edit(made.work, "i4qew.yaml", '      selector: "stage=dev"\n', WAVES, "dev rolls out in two waves")
        yield made


def pin_version(s: Site, old: str, new: str) -> None:
    edit(s.work, "workloads/object-detection.yaml", f'version: "{old}"', f'version: "{new}"', f"yolo {new}")


def bump(s: Site, tag: str) -> None:
    text = (s.work / "workloads" / "object-detection.yaml").read_text()
    old = next(line for line in text.splitlines() if IMAGE in line).strip()
    edit(s.work, "workloads/object-detection.yaml", old, old.rsplit(":", 1)[0] + f":{tag}", f"defect-detector {tag}")


def digest_of(entry: dict[str, Any]) -> str:
    return f"sha256:{entry['sha256']}" if "sha256" in entry else str(entry["source"]).rsplit("@", 1)[1]


def staged(s: Site, rev: str) -> dict[tuple[str, str], str]:
    """(model, version) -> digest of every version the staging charts at `rev` stage."""
    out = {}
    for path in s.files(rev):
        if path.startswith("staging/") and path.endswith("/values.yaml"):
            for entry in yaml.safe_load(s.show(rev, path))["desired"]["versions"]:
                out[(entry["model"], entry["version"])] = digest_of(entry)
    return out


def gated(s: Site, rev: str) -> dict[tuple[str, str], str]:
    """(model, version) -> digest the workloads of `rev` wait for at their gate (i4qew stages)."""
    index = yaml.safe_load(s.show(rev, "models/index.json"))
    return {(m["name"], m["version"]): m["digest"] for m in index["models"] if m["distribution"] == "stager"}


def pins(s: Site, rev: str) -> dict[str, tuple[str, str]]:
    (cm,) = yaml.safe_load_all(s.show(rev, "hub/rollout.yaml"))
    return {w: (cm["data"][f"{w}.commit"], cm["data"][f"{w}.previous"]) for w in ("canary", "rest")}


def every_wave_meets_its_models(s: Site) -> None:
    """At every commit of the branch, each wave's commit (the head when it follows it) and the
    one it may roll back to: every version its workloads wait for is staged, same digest."""
    for rev in git(s.bare, "rev-list", BRANCH).splitlines():
        have = staged(s, rev)
        for wave, (commit, previous) in pins(s, rev).items():
            for runs in {commit or rev, previous} - {""}:
                missing = {k: d for k, d in gated(s, runs).items() if have.get(k) != d}
                assert not missing, f"{rev[:12]}: wave {wave} runs {runs[:12]}, whose {missing} is not staged"


def test_held_back_waves_keep_their_model_versions(s: Site) -> None:
    p1 = pub(s)
    assert staged(s, p1)[("yolo-defects", "2024.3")] == V3_DIGEST
    pin_version(s, "2024.3", "2024.2")
    p2 = pub(s)
    assert pins(s, p2)["rest"] == (p1, "")
    versions = yaml.safe_load(s.show(p2, STAGING))["desired"]["versions"]
    assert [e["version"] for e in versions] == ["2024.2", "2024.3"]  # rest still runs 2024.3

    # 2024.4 replaces 2024.3 in the Model: rest (still on p1) keeps 2024.3 with p1's entry
    model = (s.work / "models" / "vision.yaml").read_text()
    at = model.index('    - version: "2024.3"')
    end = model.index("      size: 109Mi\n", at) + len("      size: 109Mi\n")
    edit(s.work, "models/vision.yaml", model[at:end], V4, "yolo 2024.4 replaces 2024.3")
    pin_version(s, "2024.2", "2024.4")
    p3 = pub(s)
    assert pins(s, p3) == {"canary": ("", p2), "rest": (p1, "")}
    entries = {e["version"]: e for e in yaml.safe_load(s.show(p3, STAGING))["desired"]["versions"]}
    assert sorted(entries) == ["2024.2", "2024.3", "2024.4"]  # canary may roll back to 2024.2
    assert entries["2024.3"] == {e["version"]: e for e in yaml.safe_load(s.show(p1, STAGING))["desired"]["versions"]
                                 }["2024.3"]
    assert digest_of(entries["2024.3"]) == V3_DIGEST
    assert yaml.safe_load(s.show(p3, "staging/i4q-vision/yolo-defects/Chart.yaml"))["appVersion"] == \
        "2024.2, 2024.3, 2024.4"
    jobs = [j["only"] for j in yaml.safe_load(s.show(p3, STAGING))["jobs"]]
    assert jobs == ["yolo-defects/2024.2", "yolo-defects/2024.3", "yolo-defects/2024.4"]

    # every wave moves on: the next publish holds only what the waves' commits and previous ones run
    later = datetime.now(UTC) + timedelta(hours=2)
    done = rollout(RolloutRequest(root=s.work, env="dev", action="advance", now=later, backoff=0.01),
                   environ=clean_environ())
    assert done.status.startswith("rolled out"), done
    bump(s, "9.9.1")
    p5 = pub(s)
    advanced = git(s.bare, "rev-parse", f"{p5}~1")
    assert pins(s, p5) == {"canary": ("", advanced), "rest": (advanced, p1)}
    versions5 = [e["version"] for e in yaml.safe_load(s.show(p5, STAGING))["desired"]["versions"]]
    assert versions5 == ["2024.3", "2024.4"]  # rest may roll back to p1; no wave runs 2024.2 any more
    every_wave_meets_its_models(s)


def test_without_waves_nothing_is_held(tmp_path: Path) -> None:
    """The same edits on an environment without waves stage the head's own versions only."""
    with site(tmp_path) as made:
        edit(made.work, "i4qew.yaml", "      delivery: applicationset\n", "", "dev by Subscription")
        pub(made)
        pin_version(made, "2024.3", "2024.2")
        rev = pub(made)
        versions = [e["version"] for e in yaml.safe_load(made.show(rev, STAGING))["desired"]["versions"]]
        assert versions == ["2024.2"]
