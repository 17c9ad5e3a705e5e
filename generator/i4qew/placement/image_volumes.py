"""Image volumes (KEP-4639): where a model may be mounted straight from its registry.

A pod volume `image: {reference: REGISTRY/REPOSITORY@sha256:…}` has the kubelet pull the
OCI object by digest and mount it read-only; no stager, no gate (the pod does not start
before the pull succeeded, and a digest reference is verified by the runtime).

The facts (docs/models.md "Image volumes", /work research notes cited there): the
ImageVolume feature gate is alpha in 1.31–1.32, beta but off by default in 1.33–1.34 (to be
enabled on kube-apiserver and kubelet), on by default from 1.35; containerd mounts image
volumes from 2.1 on, and only OCI *images* (tar layers, an image config), not artifacts of
other media types (containerd issue #11381), so a Model opts in (`spec.imageVolume: true`)
when its versions are packaged as images.

i4qew offers them per environment (`imageVolumes.minKubeVersion` in i4qew.yaml, default 1.35)
and only where the inventory's `kubeversion.open-cluster-management.io` claim of every
cluster the model's workloads are placed on is at least that version: otherwise the model
is staged (with the gate) and `plan` names the clusters that cannot. Conservative by
design: the claim says nothing of containerd or of feature gates, hence 1.35 by default; a
cluster that joins after the render is not covered (render again).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from i4qew.model.repo import Repo, kube_minor
from i4qew.model.sources import version_source
from i4qew.placement.bits import members
from i4qew.placement.decide import Planner, planner_for
from i4qew.placement.inventory import Inventory

KUBEVERSION_CLAIM: Final = "kubeversion.open-cluster-management.io"


def version_text(v: tuple[int, int]) -> str:
    return f"{v[0]}.{v[1]}"


@dataclass(frozen=True)
class ImageVolumeCheck:
    model: str
    env: str
    minimum: tuple[int, int]
    why_not: str  # "" when every version can be an image volume; else why the model cannot
    cannot: tuple[tuple[str, str], ...]  # (cluster, why) among the clusters of its workloads

    @property
    def ok(self) -> bool:
        return not self.why_not and not self.cannot


def _model_reason(repo: Repo, model_name: str, versions: list[str]) -> str:
    model = repo.models[model_name]
    for v in versions:
        source = version_source(model, v)
        if source is None or source.kind != "oci" or source.digest is None:
            return f"version {v} has no OCI source pinned by digest"
    return ""


def image_volume_checks(repo: Repo, env: str, planner: Planner | None,
                        keep: Mapping[str, int] | None = None) -> dict[str, ImageVolumeCheck]:
    """The models of `env` that could be image volumes there (environment and Model opt in),
    each with what keeps it from being one. No inventory (planner None): none qualifies.
    `keep`: the decisions numberOfClusters stays on (Planner.decisions), as the branch's."""
    environment = repo.repository.environment(env)
    if environment is None or environment.image_volumes is None:
        return {}
    minimum = environment.image_volumes
    users: dict[str, list[tuple[str, int]]] = {}
    if planner is not None:
        for d in planner.decisions(env, keep):
            ref = d.workload.model
            if ref is not None and ref.name in repo.models:
                users.setdefault(ref.name, []).append((ref.version, d.clusters))
    out: dict[str, ImageVolumeCheck] = {}
    for name, model in repo.models.items():
        if not model.image_volume or model.external:
            continue
        used = users.get(name, [])
        if planner is None:
            if any(w.model is not None and w.model.name == name and w.enabled_in(env) for w in repo.workloads):
                out[name] = ImageVolumeCheck(name, env, minimum, "no cluster inventory to check the clusters' "
                                             "Kubernetes versions against", ())
            continue
        if not used:
            continue
        clusters = 0
        for _, bits in used:
            clusters |= bits
        cannot: list[tuple[str, str]] = []
        for c in (planner.inv.clusters[i] for i in members(clusters)):
            claim = c.claims.get(KUBEVERSION_CLAIM)
            got = kube_minor(claim) if claim is not None else None
            if got is None:
                cannot.append((c.name, "no kubeversion claim" if claim is None else f"kubeversion {claim!r}"))
            elif got < minimum:
                cannot.append((c.name, f"Kubernetes {claim} < {version_text(minimum)}"))
        reason = _model_reason(repo, name, sorted({v for v, _ in used}))
        out[name] = ImageVolumeCheck(name, env, minimum, reason, tuple(cannot))
    return out


def image_volume_models(checks: dict[str, ImageVolumeCheck]) -> frozenset[str]:
    return frozenset(name for name, check in checks.items() if check.ok)


def image_volume_models_for(repo: Repo, env: str, inventory: Inventory | None,
                            keep: Mapping[str, int] | None = None) -> frozenset[str]:
    """The models mounted as image volumes in `env` over `inventory` (none without one)."""
    if inventory is None:
        return frozenset()
    return image_volume_models(image_volume_checks(repo, env, planner_for(repo, inventory), keep))
