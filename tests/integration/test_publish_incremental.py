"""`i4qew publish` after a change to workloads only: it renders what the change touches and
keeps the rest of the branch head, and the branch equals a full render (real git, 127.0.0.1)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from i4qew.gitops.publish import PublishRequest, publish
from tests.support.git_remote import Site, clean_environ, edit, git, site
from tests.support.hubs import cluster_list, push_two_hubs

pytestmark = pytest.mark.slow

KEPT = "no input of the placement decisions changed"


_last_lines: list[str] = []  # what the last _run said


def _run(root: Path, **kw: object) -> tuple[str, tuple[str, ...]]:
    done = publish(PublishRequest(root=root, env="dev", backoff=0.01, **kw),  # type: ignore[arg-type]
                   environ=clean_environ())
    _last_lines[:] = done.lines
    return done.status, done.lines


def _same_as_full_render(s: Site, branch: str) -> None:
    out = s.tmp / f"full-{branch[:8]}"
    done = s.cli("render", "--env", "dev", "-o", str(out))
    assert done.returncode == 0, done.stderr
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert s.files(branch) == on_disk
    for path in on_disk:
        blob = subprocess.run(["git", "cat-file", "blob", f"{branch}:{path}"], cwd=s.bare, capture_output=True,
                              check=True).stdout
        assert blob == (out / path).read_bytes(), path


def _published_in_parts(s: Site, workload: str) -> str:
    """Publish; it renders in parts for `workload` and equals a full render. The branch head."""
    status, lines = _run(s.work)
    assert status == "published"
    note = next(line for line in lines if line.startswith("only workloads changed"))
    assert f"({workload})" in note
    branch = s.branch("acm-dev")
    assert branch is not None
    _same_as_full_render(s, branch)
    return branch


def test_a_workload_change_renders_only_what_it_touches(tmp_path: Path) -> None:
    with site(tmp_path) as s:
        # the two-hub example: dev is delivered by Subscriptions, without waves
        push_two_hubs(s.work)
        assert _run(s.work)[0] == "published"
        first = s.branch("acm-dev")
        assert first is not None
        edit(s.work, "workloads/anomaly.yaml", "anomaly:1.4.2", "anomaly:1.4.3", "anomaly 1.4.3")
        branch = _published_in_parts(s, "anomaly")
        assert s.show(f"{branch}~1", "README.md") == s.show(first, "README.md")  # over the first publish
        # an image moves no decision: the hubs' pages and snapshots stay the same blobs (the
        # README names the new source commit)
        for hub in ("east", "west"):
            for name in ("plan.html", "plan.svg", "decisions.json"):
                assert s.show(branch, f"placement/{hub}/{name}") == s.show(first, f"placement/{hub}/{name}")
        assert s.show(branch, "README.md") != s.show(first, "README.md")
        # ... kept as they were, not rendered again: the first publish decided without a base
        assert any(line.startswith(KEPT) for line in _last_lines)
        # an environment variable keeps every placement file
        edit(s.work, "workloads/anomaly.yaml", "  placement: lines\n", "  placement: lines\n  env:\n"
             "    - {name: LEVEL, value: debug}\n", "anomaly: LEVEL")
        before = _published_in_parts(s, "anomaly")
        assert any(line.startswith(KEPT) and line.endswith("and the pictures of the branch head") for line in _last_lines)
        # a replica count moves the headroom on the hubs where it may run: their pictures again
        edit(s.work, "workloads/anomaly.yaml", "  placement: lines\n", "  placement: lines\n  replicas: 3\n",
             "anomaly: 3 replicas")
        after = _published_in_parts(s, "anomaly")
        assert any(line.startswith(KEPT) and "where those workloads cannot run" in line for line in _last_lines)
        assert s.show(after, "placement/east/plan.html") != s.show(before, "placement/east/plan.html")
        assert s.show(after, "placement/east/decisions.json") == s.show(before, "placement/east/decisions.json")
        # a change beyond the workloads (a policy) renders everything again
        edit(s.work, "policies/edge.yaml", '"role=line"', '"role=line, !retired"', "lines: not retired")
        status, lines = _run(s.work)
        assert status == "published" and not any(line.startswith("only workloads changed") for line in lines)
        branch = s.branch("acm-dev")
        assert branch is not None
        _same_as_full_render(s, branch)


def test_a_model_version_change_renders_its_stagings_and_keeps_the_others(tmp_path: Path) -> None:
    with site(tmp_path) as s:
        # the repository's own example with dev by Subscription: its models are staged
        edit(s.work, "i4qew.yaml", "      delivery: applicationset\n", "", "dev by Subscription")
        assert _run(s.work)[0] == "published"
        first = s.branch("acm-dev")
        assert first is not None
        staging = "staging/i4qew-models/lrt-forecaster/values.yaml"
        assert 'version: "2"' in s.show(first, staging)
        edit(s.work, "workloads/sktime.yaml", 'version: "2"', 'version: "1"', "sktime on model version 1")
        branch = _published_in_parts(s, "sktime")
        assert 'version: "1"' in s.show(branch, staging) and 'version: "2"' not in s.show(branch, staging)


def _west(*, tainted: bool) -> str:
    """The west hub: w-a and w-c on a line in dev; w-c tainted NoSelectIfNew."""
    clusters = json.loads(cluster_list(["w-a", "w-c"]))
    if tainted:
        clusters["items"][1]["spec"]["taints"] = [{"key": "maintenance", "effect": "NoSelectIfNew",
                                                   "timeAdded": "2026-01-01T00:00:00Z"}]
    return json.dumps(clusters, indent=1)


def test_placement_files_stay_only_over_their_own_decisions(tmp_path: Path) -> None:
    """A head rendered over other decisions than its own may not be what a render over its
    own writes, even when no input changed: here its base kept a NoSelectIfNew cluster that
    numberOfClusters then left out, so the head counts it feasible and a render over the
    head's decision does not (OCM: a new decision does not select it). The image changes
    after that render the placement files again until a head was rendered over its own
    decisions."""
    with site(tmp_path) as s:
        push_two_hubs(s.work)
        inventory = s.work / "clusters/west/managedclusters.yaml"
        inventory.write_text(_west(tainted=False))
        (s.work / "policies/edge.yaml").write_text((s.work / "policies/edge.yaml").read_text().replace(
            'selector: "role=line"', 'selector: "role=line"\n  maxClusters: 2'))
        git(s.work, "add", "-A")
        git(s.work, "commit", "-qm", "west: two clusters, two per workload")
        assert _run(s.work)[0] == "published"
        west = "placement/west/decisions.json"
        assert '"w-a"' in s.show("acm-dev", west) and '"w-c"' in s.show("acm-dev", west)
        inventory.write_text(_west(tainted=True))
        git(s.work, "add", "-A")
        edit(s.work, "policies/edge.yaml", "maxClusters: 2", "maxClusters: 1", "one per workload, w-c tainted")
        assert _run(s.work)[0] == "published"
        assert not any(line.startswith("only workloads changed") for line in _last_lines)
        counted = s.branch("acm-dev")
        assert counted is not None
        edit(s.work, "workloads/anomaly.yaml", "anomaly:1.4.2", "anomaly:1.4.3", "anomaly 1.4.3")
        again = _published_in_parts(s, "anomaly")
        assert not any(line.startswith(KEPT) for line in _last_lines)
        assert s.show(again, west) != s.show(counted, west)  # w-c no longer counted feasible
        # the next head was rendered over other decisions than its own too; the one after is not
        edit(s.work, "workloads/anomaly.yaml", "anomaly:1.4.3", "anomaly:1.4.4", "anomaly 1.4.4")
        assert s.show(_published_in_parts(s, "anomaly"), west) == s.show(again, west)
        assert not any(line.startswith(KEPT) for line in _last_lines)
        edit(s.work, "workloads/anomaly.yaml", "anomaly:1.4.4", "anomaly:1.4.5", "anomaly 1.4.5")
        _published_in_parts(s, "anomaly")
        assert any(line.startswith(KEPT) for line in _last_lines)


def test_placement_files_of_an_inventory_file_are_not_kept(tmp_path: Path) -> None:
    """A head rendered over an --inventory file decided over other clusters than the
    repository's: a publish over clusters/ renders the placement files again, even when the
    head was rendered over its own decisions."""
    with site(tmp_path) as s:
        edit(s.work, "i4qew.yaml", "      delivery: applicationset\n", "", "dev by Subscription")
        other = tmp_path / "other-inventory.yaml"
        other.write_text((s.work / "clusters/managedclusters.yaml").read_text().replace("stage: dev", "stage: qa"))
        assert _run(s.work)[0] == "published"
        for old, new in (("1.2.0", "1.2.1"), ("1.2.1", "1.2.2")):  # over the file twice: then over its own decisions
            edit(s.work, "workloads/sktime.yaml", f"sktime:{old}", f"sktime:{new}", f"sktime {new}")
            assert _run(s.work, inventory=other)[0] == "published"
        edit(s.work, "workloads/sktime.yaml", "sktime:1.2.2", "sktime:1.2.3", "sktime 1.2.3")
        _published_in_parts(s, "sktime")
        assert not any(line.startswith(KEPT) for line in _last_lines)
