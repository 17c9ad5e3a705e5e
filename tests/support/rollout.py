"""The three rollout waves the rollout tests give this repository's dev environment
(tests/integration/test_rollout.py with Subscriptions, test_rollout_argocd.py with Argo CD)."""

from __future__ import annotations

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
