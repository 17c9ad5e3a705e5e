"""References: every name a declaration points at must resolve."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from i4qew.model.repo import Repo
from i4qew.problems import Problem
from i4qew.rules.registry import given, local, rule
from i4qew.text import did_you_mean, lookalike, shorten


def _missing(repo: Repo, kind: str, name: str, known: Mapping[str, object]) -> str | None:
    """A message for a dangling reference, or None when it resolves (or its
    target exists but failed its own checks, which were reported already)."""
    if name in known or (kind, name) in repo.declared:
        return None
    names = list(known)
    listing = ", ".join(names) if names else "none declared"
    return f"unknown {kind} {shorten(name)!r}{lookalike(name)}{did_you_mean(name, names)}; known: {shorten(listing, 200)}"


@given
@rule(
    "unknown-policy",
    "placement (of a workload, an environment override or a model) names a declared PlacementPolicy",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  placement: edge   # policies/edge.yaml declares PlacementPolicy edge"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  placement: egde"
    ),
)
def check_policies(repo: Repo) -> Iterator[Problem]:
    known = repo.policies  # (a dict: looked up, not searched, for 10,000 workloads)
    for w in repo.workloads:
        msg = _missing(repo, "PlacementPolicy", w.spec["placement"], known)
        if msg:
            yield w.doc.problem(("spec", "placement"), "unknown-policy", msg)
        for env, over in w.overrides.items():
            if "placement" in over:
                msg = _missing(repo, "PlacementPolicy", over["placement"], known)
                if msg:
                    yield w.doc.problem(("spec", "environments", env, "placement"), "unknown-policy", msg)
    for m in repo.models.values():
        msg = _missing(repo, "PlacementPolicy", m.placement, known)
        if msg:
            yield m.doc.problem(("spec", "placement"), "unknown-policy", msg)


@given
@rule(
    "unknown-model",
    "model.name names a declared Model and model.version one of its versions",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"1\", mountPath: /models}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"3\", mountPath: /models}   # versions: [\"1\"]"
    ),
)
def check_models(repo: Repo) -> Iterator[Problem]:
    known = repo.models
    for w in repo.workloads:
        ref = w.model
        if ref is None:
            continue
        msg = _missing(repo, "Model", ref.name, known)
        if msg:
            yield w.doc.problem(("spec", "model", "name"), "unknown-model", msg)
            continue
        model = repo.models.get(ref.name)
        if model is not None and ref.version not in model.versions:
            yield w.doc.problem(("spec", "model", "version"), "unknown-model",
                                f"model {ref.name!r} has no version {shorten(ref.version)!r}{lookalike(ref.version)}; "
                                f"versions: {shorten(', '.join(model.versions), 200)}")


@local
@rule(
    "unknown-environment",
    "spec.environments of a workload only names environments of i4qew.yaml",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  environments: {production: {replicas: 2}}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  environments: {prod: {replicas: 2}}"
    ),
)
def check_environments(repo: Repo) -> Iterator[Problem]:
    names = [e.name for e in repo.repository.environments]
    for w in repo.workloads:
        for env in w.overrides:
            if env not in names:
                yield w.doc.problem(("spec", "environments", env), "unknown-environment",
                                    f"unknown environment {shorten(env)!r}{lookalike(env)}{did_you_mean(env, names)}; "
                                    f"environments: {', '.join(names)}",
                                    key=True)
