"""Rollout waves in a repository with spec.hubs (docs/hubs.md, "Rollout waves across hubs"),
against real git (git daemon on 127.0.0.1): one rollout state per environment pins the waves
of every hub. After a publish the first wave of each hub takes the new commit and the other
waves of each hub stay on the old one (Subscriptions: through the wave branch; Argo CD:
the ApplicationSets' targetRevision); `i4qew rollout advance` moves them on every hub in
one commit that touches only the state and the hubs' wave objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.gitops.rollout import RolloutRequest, rollout
from tests.support.crds import crd_errors
from tests.support.git_remote import Site, clean_environ, edit, git, site
from tests.support.hubs import push_two_hubs
from tests.support.rollout import pub

pytestmark = pytest.mark.slow

BRANCH = "acm-dev"
WAVES = '      waves: [{name: canary, selector: "site=bologna"}, {name: rest}]\n'
GIT_BRANCH = "apps.open-cluster-management.io/git-branch"
DESIRED = "apps.open-cluster-management.io/git-desired-commit"


def wave_pins(s: Site, rev: str) -> dict[tuple[str, str, str], str]:
    """(hub, workload, wave) -> what each hub's wave object runs: the branch or a commit."""
    out: dict[tuple[str, str, str], str] = {}
    for path in s.files(rev):
        parts = path.split("/")
        if parts[0] != "hub" or len(parts) < 3 or parts[1] not in ("east", "west"):
            continue
        for d in yaml.safe_load_all(s.show(rev, path)):
            wave = ((d or {}).get("metadata", {}).get("labels") or {}).get("edge.i4q.eu/wave")
            workload = ((d or {}).get("metadata", {}).get("labels") or {}).get("edge.i4q.eu/workload")
            if d["kind"] == "Subscription" and wave:
                notes = d["metadata"]["annotations"]
                pinned = notes.get(DESIRED, "")
                assert notes[GIT_BRANCH] == (f"{BRANCH}-wave-{wave}" if pinned else BRANCH)
                out[(parts[1], workload, wave)] = pinned or BRANCH
            elif d["kind"] == "ApplicationSet" and wave:
                out[(parts[1], workload, wave)] = d["spec"]["template"]["spec"]["source"]["targetRevision"]
    return out


def state(s: Site, rev: str) -> dict[str, Any]:
    (cm,) = [d for d in yaml.safe_load_all(s.show(rev, "hub/rollout.yaml")) if d]
    return {w: cm["data"][f"{w}.commit"] for w in ("canary", "rest")}


@pytest.mark.parametrize("delivery", ["subscription", "applicationset"])
def test_one_rollout_state_pins_the_waves_of_every_hub(tmp_path: Path, delivery: str) -> None:
    argo = delivery == "applicationset"
    with site(tmp_path) as s:
        push_two_hubs(s.work)
        edit(s.work, "i4qew.yaml", '      selector: "stage=dev"\n', '      selector: "stage=dev"\n'
             + ("      delivery: applicationset\n" if argo else "") + WAVES, "dev rolls out in waves")
        p1 = pub(s)
        # before any pin the branch is what `i4qew render` writes: the charts and every hub's folder
        # (the state differs only by when the first wave took its commit)
        out = tmp_path / "rendered"
        result = CliRunner().invoke(cli, ["render", "-C", str(s.work), "--env", "dev", "-o", str(out)])
        assert result.exit_code == 0, result.output
        rendered = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert sorted(rendered) == s.files(p1)
        assert [p for p in rendered if p.startswith(("hub/", "charts/")) and p != "hub/rollout.yaml"
                and rendered[p].decode().strip() != s.show(p1, p)] == []
        edit(s.work, "workloads/anomaly.yaml", "anomaly:1.4.2", "anomaly:1.4.3", "anomaly 1.4.3")
        p2 = pub(s)
        assert state(s, p2) == {"canary": "", "rest": p1}
        # the charts are the branch's, shared by the hubs: the held-back waves run p1's
        assert "anomaly:1.4.2" in s.show(p1, "charts/anomaly/values.yaml")
        assert "anomaly:1.4.3" in s.show(p2, "charts/anomaly/values.yaml")
        pins = wave_pins(s, p2)
        # both hubs, both workloads, both waves; each hub holds back its rest wave
        assert {(h, w) for h, w, _ in pins} == {(h, w) for h in ("east", "west") for w in ("anomaly", "dashboard")}
        assert pins == {k: (BRANCH if k[2] == "canary" else p1) for k in pins}
        assert s.branch(f"{BRANCH}-wave-rest") == (None if argo else p1)
        assert "hub/rollout.yaml" in s.files(p2) and not any(
            p.endswith("/rollout.yaml") and p != "hub/rollout.yaml" for p in s.files(p2))

        done = rollout(RolloutRequest(root=s.work, env="dev", action="advance",
                                      now=datetime.now(UTC) + timedelta(days=1), backoff=0.01),
                       environ=clean_environ())
        assert done.commit is not None
        assert state(s, done.commit) == {"canary": "", "rest": ""}
        assert set(wave_pins(s, done.commit).values()) == {BRANCH}
        changed = git(s.bare, "diff", "--name-only", f"{done.commit}~1", done.commit).split()
        assert "hub/rollout.yaml" in changed and {p.split("/")[1] for p in changed if p != "hub/rollout.yaml"} == {
            "east", "west"}
        assert all(p == "hub/rollout.yaml" or "/workloads/" in p or "/argocd/applicationsets/" in p for p in changed)
        errors = [f"{p}: {e}" for p in s.files(done.commit) if p.startswith("hub/")
                  for d in yaml.safe_load_all(s.show(done.commit, p))
                  if d and d["kind"] not in ("Namespace", "ConfigMap") for e in crd_errors(d)]
        assert errors == []
