"""Names of a model's staging in an environment: its chart, release, hub objects and folder.

A hostPath model's staging lives in the models namespace (i4qew.yaml
spec.models.namespace), which holds no workload (rule model-settings); a PVC model's in
each workload namespace that uses it, where rule model-staging-name keeps workload names
from meeting them:

    staging/<ns>/<model>/     the chart on the environment branch (git-path)
    <model>-<env>             Subscription and Placement on the hub (63 at most)
    <model>-<env>             the Helm release (packageAlias), shortened to 31: ACM's
                              subscription controller renames a longer HelmRelease
                              (`<first 25>-<5 hex>`), and the stager's objects are named
                              after it; dev and production may share a cluster, so the
                              environment is part of it
"""

from __future__ import annotations

import hashlib
from typing import Final

from i4qew.placement.staging import staging_hub_name, staging_release

__all__ = ["STAGING_PATH", "job_name", "staging_folder", "staging_hub_name", "staging_owner", "staging_release"]

STAGING_PATH: Final = "staging"


def staging_folder(model: str, namespace: str) -> str:
    """The chart's folder on the branch: `staging/<namespace>/<model>` (a PVC model has a
    staging in each workload namespace that uses it)."""
    return f"{STAGING_PATH}/{namespace}/{model}"


def staging_owner(model: str, env: str) -> str:
    """The stager's owner on a node (docs/model-index.md): ENV.MODEL."""
    return f"{env}.{model}"


def job_name(release: str, version: str, fingerprint: str) -> str:
    """A Job per version; its pod template is immutable, so everything it depends on
    (version, digest, image, program) is in the name's hash: a change makes a new Job."""
    digest = hashlib.sha256(f"{version}\0{fingerprint}".encode()).hexdigest()[:8]
    return f"{release}-{digest}"
