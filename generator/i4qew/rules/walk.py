"""Helpers the rule families share: where a field lives in the spec and its overrides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from i4qew.model.repo import Repo, Workload

KeyPath = tuple[str | int, ...]


def variants(w: Workload, field: str) -> Iterator[tuple[KeyPath, Any]]:
    """(key path, value) of `field` in the spec and in every environment override
    that sets it: each place a user wrote the field, checked once."""
    own = w.doc.data["spec"]
    if field in own:
        yield ("spec", field), own[field]
    for env, over in sorted(w.overrides.items()):
        if field in over:
            yield ("spec", "environments", env, field), over[field]


def effective(repo: Repo, w: Workload, field: str) -> Iterator[tuple[str, KeyPath, Any]]:
    """(environment, key path of where it was written, value) of `field` as
    deployed to each environment the workload is enabled in."""
    for env in repo.repository.environments:
        if not w.enabled_in(env.name):
            continue
        over = w.overrides.get(env.name, {})
        if field in over:
            yield env.name, ("spec", "environments", env.name, field), over[field]
        elif field in w.spec:
            yield env.name, ("spec", field), w.spec[field]
