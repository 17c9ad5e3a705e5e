"""`i4qew rollout` and publish on an environment Argo CD delivers (`delivery: applicationset`),
against real git (a bare repo served by `git daemon` on 127.0.0.1): the same rollout as
with Subscriptions, pinned by each wave ApplicationSet's `targetRevision` instead of wave
branches. At every commit the pins on the branch are exactly what its trailers say, each
pinned commit is one Argo CD fetches with the branches (in the branch's history), and a
rollout commit rewrites the state and the ApplicationSets only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew.gitops.land import Outcome
from i4qew.gitops.rollout import RolloutRequest, rollout
from i4qew.problems import UserError
from tests.support.crds import crd_errors
from tests.support.git_remote import Site, clean_environ, edit, git, site, trailers
from tests.support.rollout import THREE_WAVES, pub

pytestmark = pytest.mark.slow

WAVES = "      delivery: applicationset\n" + THREE_WAVES
BRANCH = "acm-dev"
IMAGE = "registry.gitlab.com/i4q/vision/defect-detector:"
APPSETS = "hub/argocd/applicationsets/"


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path) as made:
        # this repository's dev is delivered by Argo CD already
        edit(made.work, "i4qew.yaml", "      delivery: applicationset\n", WAVES, "dev rolls out in three waves")
        yield made


def roll(s: Site, action: str, at: datetime, **kw: Any) -> Outcome:
    return rollout(RolloutRequest(root=s.work, env="dev", action=action, now=at, backoff=0.01, **kw),
                   environ=clean_environ())


def bump(s: Site, tag: str) -> None:
    text = (s.work / "workloads" / "object-detection.yaml").read_text()
    old = next(line for line in text.splitlines() if IMAGE in line).strip()
    edit(s.work, "workloads/object-detection.yaml", old, f"image: {IMAGE}{tag}", f"defect-detector {tag}")


def docs(s: Site, rev: str, path: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(s.show(rev, path)) if d]


def pins(s: Site, rev: str = BRANCH) -> dict[str, str]:
    """wave -> the commit the state pins ("" = the branch head)."""
    (cm,) = docs(s, rev, "hub/rollout.yaml")
    return {w: cm["data"][f"{w}.commit"] for w in ("canary", "early", "rest")}


def since(s: Site, wave: str) -> datetime:
    (cm,) = docs(s, BRANCH, "hub/rollout.yaml")
    return datetime.fromisoformat(cm["data"][f"{wave}.since"].replace("Z", "+00:00"))


def revisions(s: Site, rev: str) -> dict[str, set[str]]:
    """wave -> the targetRevisions its ApplicationSets (one per workload) name."""
    out: dict[str, set[str]] = {}
    for path in s.files(rev):
        if path.startswith(APPSETS):
            for d in docs(s, rev, path):
                if d["kind"] == "ApplicationSet":
                    wave = d["metadata"]["labels"]["edge.i4q.eu/wave"]
                    out.setdefault(wave, set()).add(d["spec"]["template"]["spec"]["source"]["targetRevision"])
    return out


def consistent(s: Site) -> None:
    commits = git(s.bare, "rev-list", "--reverse", BRANCH).splitlines()
    before: dict[str, str] = {}
    for rev in commits:
        if "hub/rollout.yaml" not in s.files(rev):
            continue
        now = pins(s, rev)
        assert revisions(s, rev) == {w: {c or BRANCH} for w, c in now.items()}, rev
        for commit in filter(None, now.values()):  # what Argo CD finds after fetching the branches
            assert git(s.bare, "merge-base", "--is-ancestor", commit, rev, check=False) == ""
        said = git(s.bare, "log", "-1", "--format=%(trailers:key=I4qew-Wave,valueonly)", rev).split("\n")
        moved = {line.split()[0]: line.split()[-1] for line in said if line.strip()}
        assert moved == {w: (v or "head") for w, v in now.items() if before and before.get(w) != v}, rev
        if trailers(s.bare, rev).get("I4qew-Rollout"):
            changed = git(s.bare, "diff", "--name-only", f"{rev}~1", rev).split()
            assert all(p == "hub/rollout.yaml" or p.startswith(APPSETS) for p in changed), changed
        before = now
    assert git(s.bare, "for-each-ref", "--format=%(refname)", f"refs/heads/{BRANCH}-wave-*") == ""


def test_three_waves_on_argocd_advance_pause_publish_and_roll_back(s: Site) -> None:
    p1 = pub(s)
    assert revisions(s, p1)["rest"] == {BRANCH}
    bump(s, "9.9.1")
    p2 = pub(s)
    assert pins(s) == {"canary": "", "early": p1, "rest": p1}
    # what the held-back waves' Applications check out is the old chart; the canary's the new one
    assert "9.9.1" not in s.show(p1, "charts/defect-detector/values.yaml")
    assert "9.9.1" in s.show(p2, "charts/defect-detector/values.yaml")
    start = since(s, "canary")

    with pytest.raises(UserError, match="soak ends at"):
        roll(s, "advance", start + timedelta(minutes=30))
    roll(s, "advance", start + timedelta(hours=1, minutes=1))
    assert pins(s) == {"canary": "", "early": "", "rest": p1}
    h = git(s.bare, "rev-parse", BRANCH)[:12]
    assert roll(s, "status", start).lines == (f"{BRANCH} at {h}", f"wave canary: {h} (branch head)",
                                              f"wave early: {h} (branch head)",
                                              f"wave rest: {p1[:12]} (pinned, targetRevision)")

    roll(s, "pause", start)
    with pytest.raises(UserError, match="paused"):
        roll(s, "advance", start + timedelta(days=2), force=True)
    roll(s, "resume", start)
    later = since(s, "early") + timedelta(hours=3)
    closed = later.replace(hour=12, minute=0) + (timedelta(days=1) if later.hour >= 12 else timedelta())
    with pytest.raises(UserError, match="maintenance windows, none is open now"):
        roll(s, "advance", closed)

    bump(s, "9.9.2")  # a publish in the middle of the rollout moves the first wave only
    head_before = git(s.bare, "rev-parse", BRANCH)
    pub(s)
    assert pins(s) == {"canary": "", "early": head_before, "rest": p1}
    roll(s, "rollback", closed, wave="canary")
    assert pins(s)["canary"] == head_before
    consistent(s)

    rev = git(s.bare, "rev-parse", BRANCH)
    errors = [f"{p}: {e}" for p in s.files(rev) if p.startswith("hub/") for d in docs(s, rev, p)
              if d["kind"] not in ("Namespace", "ConfigMap") for e in crd_errors(d)]
    assert errors == []
