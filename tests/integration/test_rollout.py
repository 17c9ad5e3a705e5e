"""`i4qew rollout` against real git (a bare repo served by `git daemon` on 127.0.0.1): three
waves, advances, soak and windows, a pause, a publish in the middle, a rollback, two CI
jobs racing; at every commit the pins on the branch are exactly what its trailers say."""

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
from tests.support.git_remote import Site, clean_environ, edit, git, race, trailers
from tests.support.rollout import THREE_WAVES, pub, subscription_waves_site

pytestmark = pytest.mark.slow

WAVES = '      selector: "stage=dev"\n' + THREE_WAVES
BRANCH = "acm-dev"
IMAGE = "registry.gitlab.com/i4q/vision/defect-detector:"


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with subscription_waves_site(tmp_path, WAVES, "dev rolls out in three waves") as made:
        yield made


def roll(s: Site, action: str, at: datetime, repo: Path | None = None, **kw: Any) -> Outcome:
    hook = kw.pop("before_push", None)
    return rollout(RolloutRequest(root=repo or s.work, env="dev", action=action, now=at, backoff=0.01, **kw),
                   environ=clean_environ(), before_push=hook)


def bump(s: Site, tag: str) -> None:
    text = (s.work / "workloads" / "object-detection.yaml").read_text()
    old = next(line for line in text.splitlines() if IMAGE in line).strip()
    edit(s.work, "workloads/object-detection.yaml", old, f"image: {IMAGE}{tag}", f"defect-detector {tag}")


def state(s: Site, rev: str = BRANCH) -> dict[str, str]:
    (cm,) = yaml.safe_load_all(s.show(rev, "hub/rollout.yaml"))
    data: dict[str, str] = cm["data"]
    return data


def pins(s: Site, rev: str = BRANCH) -> dict[str, str]:
    """wave -> the commit its state pins ("" = the branch head)."""
    return {w: state(s, rev)[f"{w}.commit"] for w in ("canary", "early", "rest")}


def since(s: Site, wave: str) -> datetime:
    return datetime.fromisoformat(state(s)[f"{wave}.since"].replace("Z", "+00:00"))


def consistent(s: Site) -> None:
    """At every commit of the branch: each wave Subscription names what the state pins, the
    trailers record exactly the pins that changed, and each pinned wave branch is there."""
    commits = git(s.bare, "rev-list", "--reverse", BRANCH).splitlines()
    before: dict[str, str] = {}
    for rev in commits:
        now = pins(s, rev)
        for path in s.files(rev):
            if path.startswith("hub/apps/") and "/workloads/" in path:
                for d in yaml.safe_load_all(s.show(rev, path)):
                    wave = d["metadata"]["labels"].get("edge.i4q.eu/wave")
                    if d["kind"] == "Subscription" and wave:
                        ann = d["metadata"]["annotations"]
                        assert ann.get("apps.open-cluster-management.io/git-desired-commit", "") == now[wave]
                        assert ann["apps.open-cluster-management.io/git-branch"] == (
                            f"{BRANCH}-wave-{wave}" if now[wave] else BRANCH)
        said = git(s.bare, "log", "-1", "--format=%(trailers:key=I4qew-Wave,valueonly)", rev).split("\n")
        moved = {line.split()[0]: line.split()[-1] for line in said if line.strip()}
        changed = {w: (v or "head") for w, v in now.items() if before and before.get(w) != v}
        assert moved == changed, rev
        before = now
    for wave, commit in pins(s).items():
        if commit:
            assert s.branch(f"{BRANCH}-wave-{wave}") == commit


def test_three_waves_advance_pause_publish_and_roll_back(s: Site) -> None:
    p1 = pub(s)
    bump(s, "9.9.1")
    p2 = pub(s)
    assert pins(s) == {"canary": "", "early": p1, "rest": p1}
    start = since(s, "canary")

    with pytest.raises(UserError, match="soak ends at"):  # canary soaks 1h
        roll(s, "advance", start + timedelta(minutes=30))
    a1 = roll(s, "advance", start + timedelta(hours=1, minutes=1))
    assert a1.status.startswith("rolled out")
    assert pins(s) == {"canary": "", "early": "", "rest": p1}
    assert trailers(s.bare, BRANCH)["I4qew-Rollout"] == "advance"
    assert git(s.bare, "log", "-1", "--format=%s", BRANCH) == "i4qew: rollout dev: advance wave early to the branch head"

    roll(s, "pause", start)
    with pytest.raises(UserError, match="paused"):
        roll(s, "advance", start + timedelta(days=2), force=True)
    assert roll(s, "pause", start).status == "unchanged"  # one commit or none
    roll(s, "resume", start)

    # early soaks 2h; rest starts only inside 22:00-24:00 UTC
    later = since(s, "early") + timedelta(hours=3)
    closed = later.replace(hour=12, minute=0) + (timedelta(days=1) if later.hour >= 12 else timedelta())
    with pytest.raises(UserError, match="maintenance windows, none is open now; the next opens at"):
        roll(s, "advance", closed)
    bump(s, "9.9.2")  # a publish in the middle of the rollout moves the first wave only
    head_before = git(s.bare, "rev-parse", BRANCH)
    p3 = pub(s)
    assert pins(s) == {"canary": "", "early": head_before, "rest": p1}
    assert "9.9.2" in s.show(p3, "charts/defect-detector/values.yaml")
    assert "9.9.1" in s.show(f"{BRANCH}-wave-early", "charts/defect-detector/values.yaml")
    assert "9.9.1" not in s.show(f"{BRANCH}-wave-rest", "charts/defect-detector/values.yaml")

    rolled = roll(s, "rollback", closed, wave="canary")
    assert rolled.status.startswith("rolled out")
    assert pins(s)["canary"] == head_before  # back to what it ran before the publish
    assert s.branch(f"{BRANCH}-wave-canary") == head_before
    assert p2 in git(s.bare, "rev-list", BRANCH).split()
    consistent(s)


def test_two_ci_jobs_racing_to_advance_one_wave_make_one_commit(s: Site) -> None:
    pub(s)
    bump(s, "9.9.1")
    pub(s)
    at = since(s, "canary") + timedelta(hours=2)
    other = s.clone("other")
    outcomes = race({name: lambda hook, repo=repo: roll(s, "advance", at, repo=repo, wave="early", before_push=hook)
                     for name, repo in (("a", s.work), ("b", other))})
    statuses = sorted(o.status if isinstance(o, Outcome) else repr(o) for o in outcomes.values())
    assert statuses == ["rolled out (advance)", "unchanged"]
    assert pins(s) == {"canary": "", "early": "", "rest": pins(s)["rest"]}
    assert git(s.bare, "log", "-3", "--format=%(trailers:key=I4qew-Rollout,valueonly)", BRANCH).split() == ["advance"]
    # the next wave is not advanced by a job for another one, nor two at a time
    with pytest.raises(UserError, match=r"wave rest starts only inside|soak ends at"):
        roll(s, "advance", at, wave="rest")
    consistent(s)


def test_a_health_gate_refuses_an_unhealthy_wave_even_forced(s: Site) -> None:
    pub(s)
    bump(s, "9.9.1")
    p2 = pub(s)
    at = since(s, "canary") + timedelta(hours=2)
    sick = 'echo "canary: 2 of 3 pods ready on $I4QEW_GATE_WAVE at $I4QEW_GATE_COMMIT"; exit 3'
    with pytest.raises(UserError, match=rf"wave canary at {p2[:12]} is not healthy .* exited 3: canary: 2 of 3 "
                                        rf"pods ready on canary at {p2}\)"):
        roll(s, "advance", at, gate=sick, force=True)
    assert pins(s)["early"] != ""  # nothing moved
    healthy = 'test "$I4QEW_GATE_WAVE/$I4QEW_ROLLOUT_WAVE" = canary/early'
    moved = roll(s, "advance", at, gate=healthy)
    assert any(f"health gate passed for wave canary at {p2[:12]}" in line for line in moved.lines)
    assert pins(s)["early"] == ""
