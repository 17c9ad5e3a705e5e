"""The three rollout waves the rollout tests give this repository's dev environment
(tests/integration/test_rollout.py with Subscriptions, test_rollout_argocd.py with Argo CD)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.git_remote import Site, edit, site

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
