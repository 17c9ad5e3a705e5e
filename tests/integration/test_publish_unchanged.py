"""A publish whose environment branch already records its inputs (the default branch's
pipeline after a merge that changed nothing for the environment) answers from the branch
head alone: it judges no settings and imports no renderer, and says what a full publish
says; what it cannot answer that way (a promoted environment, inputs the branch does not
hold) it leaves to the full publish (real git, 127.0.0.1)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from i4qew.gitops.promote import PromoteRequest, promote
from i4qew.gitops.publish import PublishRequest, publish
from i4qew.problems import UserError
from tests.support.git_remote import Site, clean_environ, edit, git, site

pytestmark = pytest.mark.slow

# what a publish that renders imports, and one answered from the branch head does not
RENDERING = {"i4qew.gitops.publish_render", "i4qew.gitops.settings", "i4qew.schema.check", "i4qew.model.build",
             "i4qew.compile", "i4qew.validation"}
PROBE = """\
import json, sys
from pathlib import Path
from i4qew.gitops.publish import PublishRequest, publish
done = publish(PublishRequest(root=Path(sys.argv[1]), env=sys.argv[2]))
print(json.dumps([done.status, list(done.lines), sorted(m for m in sys.modules if m.startswith("i4qew"))]))
"""


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path) as made:
        yield made


def _fresh_process(repo: Path, env: str) -> tuple[str, list[str], set[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(repo), env], capture_output=True, text=True,
                          env=clean_environ(GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com"),
                          check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    status, lines, modules = json.loads(done.stdout)
    return status, lines, set(modules)


def test_an_unchanged_publish_answers_from_the_branch_head(s: Site) -> None:
    assert publish(PublishRequest(root=s.work, env="dev"), environ=clean_environ()).status == "published"
    head = git(s.work, "rev-parse", "HEAD")
    status, lines, modules = _fresh_process(s.work, "dev")
    assert (status, lines) == ("unchanged", [f"acm-dev is up to date: its inputs are those of {head[:12]}; "
                                             "nothing to commit"])
    assert "i4qew.gitops.publish" in modules and not modules & RENDERING, sorted(modules & RENDERING)
    # a change the branch does not hold: the full publish, with its checks
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    status, _, modules = _fresh_process(s.work, "dev")
    assert status == "published" and modules >= RENDERING


def test_a_promoted_environment_is_refused_even_when_its_branch_records_the_inputs(s: Site) -> None:
    publish(PublishRequest(root=s.work, env="dev"), environ=clean_environ())
    done = promote(PromoteRequest(root=s.work, source_env="dev", target_env="production"), environ=clean_environ())
    assert done.status == "promoted"  # production's head records these very inputs, for production
    with pytest.raises(UserError) as refused:
        publish(PublishRequest(root=s.work, env="production"), environ=clean_environ())
    assert "production is promoted from dev, not published" in str(refused.value)


def test_a_publish_that_renders_reads_the_branch_head_once(s: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """The head the light entry read (to see whether it records these inputs) is the one
    the render lands on: the remote is asked for the branch once, and the branch is what
    a publish reading it twice made (the same tree)."""
    from i4qew.gitops.remote import Remote

    assert publish(PublishRequest(root=s.work, env="dev"), environ=clean_environ()).status == "published"
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    asked: list[str] = []
    real = Remote.head

    def head(remote: Remote, branch: str) -> str | None:
        asked.append(branch)
        return real(remote, branch)

    monkeypatch.setattr(Remote, "head", head)
    done = publish(PublishRequest(root=s.work, env="dev"), environ=clean_environ())
    assert done.status == "published" and asked == ["acm-dev"]
    tree = git(s.bare, "rev-parse", "acm-dev^{tree}")
    assert publish(PublishRequest(root=s.work, env="dev", rerender=True, dry_run=True),
                   environ=clean_environ()).status == "unchanged"  # a whole render says the same tree
    assert git(s.bare, "rev-parse", "acm-dev^{tree}") == tree
