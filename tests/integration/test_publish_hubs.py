"""`i4qew publish` of a repository with spec.hubs against real git (git daemon on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from i4qew.gitops.publish import PublishRequest, publish
from tests.support.git_remote import clean_environ, site
from tests.support.hubs import push_two_hubs

pytestmark = pytest.mark.slow


def test_one_branch_serves_both_hubs_and_a_second_publish_is_a_no_op(tmp_path: Path) -> None:
    with site(tmp_path) as s:
        push_two_hubs(s.work)
        request = PublishRequest(root=s.work, env="dev", backoff=0.01)
        assert publish(request, environ=clean_environ()).status == "published"
        branch = s.branch("acm-dev")
        assert branch is not None
        files = s.files(branch)
        assert "hub/east/channel.yaml" in files and "hub/west/channel.yaml" in files
        assert "placement/east/decisions.json" in files and "placement/west/decisions.json" in files
        assert not any(f.startswith("hub/apps/") for f in files)
        out = s.tmp / "rendered"
        rendered = s.cli("render", "--env", "dev", "-o", str(out))
        assert rendered.returncode == 0, rendered.stderr
        assert files == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        again = publish(request, environ=clean_environ())
        assert again.status == "unchanged" and s.branch("acm-dev") == branch
