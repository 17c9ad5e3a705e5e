"""Helpers the rule families share: where a field lives in the spec and its overrides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from i4qew.model.repo import Repo, Workload

KeyPath = tuple[str | int, ...]


def variants(w: Workload, field: str) -> list[tuple[KeyPath, Any]]:
    """(key path, value) of `field` in the spec and in every environment override
    that sets it: each place a user wrote the field, checked once. (A list: some
    thirty rules ask this of every workload.)"""
    own = w.doc.data["spec"]
    out: list[tuple[KeyPath, Any]] = [(("spec", field), own[field])] if field in own else []
    overrides = w.overrides
    if overrides:
        for env, over in sorted(overrides.items()) if len(overrides) > 1 else overrides.items():
            if field in over:
                out.append((("spec", "environments", env, field), over[field]))
    return out


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
