"""`i4qew publish` after a change to workloads only: it renders what the change touches and
keeps the rest of the branch head, and the branch equals a full render (real git, 127.0.0.1)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from i4qew.gitops.publish import PublishRequest, publish
from tests.support.git_remote import Site, clean_environ, edit, site
from tests.support.hubs import push_two_hubs

pytestmark = pytest.mark.slow


def _run(root: Path, **kw: object) -> tuple[str, tuple[str, ...]]:
    done = publish(PublishRequest(root=root, env="dev", backoff=0.01, **kw),  # type: ignore[arg-type]
                   environ=clean_environ())
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
        # an image moves no decision: the hubs' pages and snapshots stay the same blobs (the
        # README names the new source commit)
        for hub in ("east", "west"):
            for name in ("plan.html", "plan.svg", "decisions.json"):
                assert s.show(branch, f"placement/{hub}/{name}") == s.show(first, f"placement/{hub}/{name}")
        assert s.show(branch, "README.md") != s.show(first, "README.md")
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
