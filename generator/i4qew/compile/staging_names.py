"""Names of a model's staging in an environment: its chart, release, hub objects and folder.

All live in the models namespace (i4qew.yaml spec.models.namespace), which holds no
workload (rule model-settings), so they cannot meet a workload's names:

    staging/<model>/          the chart on the environment branch (git-path)
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

from i4qew.k8s_names import short_name
from i4qew.placement.staging import staging_hub_name

__all__ = ["STAGING_PATH", "job_name", "staging_folder", "staging_hub_name", "staging_owner", "staging_release"]

STAGING_PATH: Final = "staging"
RELEASE_MAX: Final = 31


def staging_folder(model: str) -> str:
    return f"{STAGING_PATH}/{model}"


def staging_release(model: str, env: str) -> str:
    return short_name(model, RELEASE_MAX, env)


def staging_owner(model: str, env: str) -> str:
    """The stager's owner on a node (docs/model-index.md): ENV.MODEL."""
    return f"{env}.{model}"


def job_name(release: str, version: str, fingerprint: str) -> str:
    """A Job per version; its pod template is immutable, so everything it depends on
    (version, digest, image, program) is in the name's hash: a change makes a new Job."""
    digest = hashlib.sha256(f"{version}\0{fingerprint}".encode()).hexdigest()[:8]
    return f"{release}-{digest}"
