"""The three rollout waves the rollout tests give this repository's dev environment
(tests/integration/test_rollout.py with Subscriptions, test_rollout_argocd.py with Argo CD), and
the publish helper the rollout tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from i4qew.gitops.publish import PublishRequest, publish
from tests.support.git_remote import Site, clean_environ, edit, site

# dev's selector with two waves: a canary of two sites, then the rest
TWO_WAVES = """      selector: "stage=dev"
      waves:
        - name: canary
          selector: "site in (bologna, ljubljana)"
          soak: 1h
        - name: rest
"""
THREE_WAVES = """      waves:
        - name: canary
          selector: "site=bologna"
          soak: 1h
        - name: early
          selector: "site=porto"
          soak: 2h
        - name: rest
          windows:
            - cron: "0 22 * * *"
              duration: 2h
              timeZone: UTC
"""


@contextmanager
def subscription_waves_site(tmp_path: Path, waves: str, message: str) -> Iterator[Site]:
    """The example repository on a site with dev delivered by Subscription (this repository's dev
    is Argo CD's; test_rollout_argocd.py rolls that out) and `waves` replacing its selector line."""
    with site(tmp_path) as made:
        edit(made.work, "i4qew.yaml", "      delivery: applicationset\n", "", "dev by Subscription", push=False)
        edit(made.work, "i4qew.yaml", '      selector: "stage=dev"\n', waves, message)
        yield made


def pub(s: Site, repo: Path | None = None) -> str:
    """Publish dev from `repo` (the site's work clone by default); the new branch commit."""
    out = publish(PublishRequest(root=repo or s.work, env="dev", backoff=0.01), environ=clean_environ())
    assert out.status == "published", out
    assert out.commit is not None
    return out.commit
