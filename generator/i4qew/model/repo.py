"""The typed, frozen repository model every stage after loading shares.

Nested workload fields (ports, probes, env, ...) stay as the validated plain
data: the JSON Schema already fixed their shape, and the chart compiler hands
them to values.yaml as they are. Everything that drives a decision (names,
references, selectors, environments) is typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from i4qew import memo
from i4qew.guardrails.model import Guardrails
from i4qew.k8s.selectors import Selector
from i4qew.load.documents import Document
from i4qew.model.waves import Wave, wave_list

DEFAULT_ARCH_PREFIX = "arch.edge.i4q.eu/"
DEFAULT_GPU_LABEL = "gpu.edge.i4q.eu/nvidia"
DEFAULT_CHANNEL_NAMESPACE = "i4qew-channels"
# The RuntimeClass k3s creates for the NVIDIA container runtime (manifests/runtimes.yaml);
# k3s keeps runc the default runtime, so GPU pods must name it.
DEFAULT_GPU_RUNTIME_CLASS = "nvidia"
GPU_RESOURCE = "nvidia.com/gpu"
OFFLINE_TAINTS = (
    "cluster.open-cluster-management.io/unreachable",
    "cluster.open-cluster-management.io/unavailable",
)


# The images the edge containers run (docs/model-index.md "Images"), multi-arch, pinned by
# the digest of their image index; i4qew.yaml spec.models overrides them.
DEFAULT_STAGER_IMAGE = ("docker.io/library/python:3.13-alpine"
                        "@sha256:540c7d91f98ff6880174c40e99067bf5941eb54d818a7a5e094d188b196a934d")
DEFAULT_GATE_IMAGE = ("docker.io/library/busybox:1.37"
                      "@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0")
DEFAULT_MODELS_NAMESPACE = "i4qew-models"


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """i4qew.yaml spec.models: how model versions are staged and workloads gated."""

    namespace: str = DEFAULT_MODELS_NAMESPACE
    stager_image: str = DEFAULT_STAGER_IMAGE
    gate_image: str = DEFAULT_GATE_IMAGE
    gate_timeout: int = 300
    keep_previous: int = 1


DEFAULT_IMAGE_VOLUME_VERSION = (1, 35)  # ImageVolume on by default (placement/image_volumes.py)
_KUBE_MINOR = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?")


def kube_minor(text: str) -> tuple[int, int] | None:
    """(major, minor) of a Kubernetes version such as `1.35` or `v1.33.5+k3s1`; None if unreadable."""
    m = _KUBE_MINOR.fullmatch(text.strip())
    return (int(m[1]), int(m[2])) if m else None


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    branch: str
    selector: Selector
    selector_text: str
    promotes_from: str | None
    index: int  # position in spec.environments, for problems
    gpu_runtime_class: str = DEFAULT_GPU_RUNTIME_CLASS  # "" = the nodes' default runtime
    image_volumes: tuple[int, int] | None = None  # minKubeVersion when imageVolumes is on
    delivery: str = "subscription"  # subscription | applicationset (the repository's unless overridden)
    waves: tuple[Wave, ...] = ()  # () = the whole environment at once


# The managed clusters ACM documents for one hub: the Red Hat scale lab managed 3,500
# single-node OpenShift clusters from one 3-node hub (docs/hubs.md cites the sources).
HUB_CLUSTER_LIMIT = 3500


@dataclass(frozen=True, slots=True)
class Hub:
    """One ACM hub of a multi-hub fleet: its inventory is clusters/<name>/, its hub
    objects hub/<name>/ of every environment branch."""

    name: str
    cluster_sets: tuple[str, ...]
    channel_namespace: str
    cluster_limit: int
    index: int  # position in spec.hubs, for problems

    @property
    def inventory_dir(self) -> str:
        return f"clusters/{self.name}"


# OpenShift GitOps: the default instance runs in openshift-gitops on the hub
# (local-cluster), with the AppProject `default`.
DEFAULT_ARGOCD_NAMESPACE = "openshift-gitops"
DEFAULT_ARGOCD_SERVER = "local-cluster"


@dataclass(frozen=True, slots=True)
class ArgoCD:
    """spec.argocd: the Argo CD instance of the applicationset environments."""

    namespace: str = DEFAULT_ARGOCD_NAMESPACE
    server: str = DEFAULT_ARGOCD_SERVER  # GitOpsCluster spec.argoServer.cluster
    project: str = "default"
    mode: str = "push"  # push | pull
    sync_options: tuple[str, ...] = ()  # besides CreateNamespace=true


@dataclass(frozen=True)
class Repository:
    name: str
    git_url: str
    git_secret_ref: str | None
    git_insecure: bool
    delivery: str
    placement_api: str
    cluster_sets: tuple[str, ...]
    environments: tuple[Environment, ...]
    channel_namespace: str
    arch_prefix: str
    gpu_label: str
    capacity_warn_percent: int
    defaults: Mapping[str, Any]
    doc: Document | None
    argocd: ArgoCD = ArgoCD()
    git_ca_file: str | None = None  # repository path of the Git server's CA bundle (PEM)
    reconcile_rate: str | None = None  # the Channel's reconcile-rate; None = ACM's default
    watch_helm_resources: bool = False  # Subscription watchHelmNamespaceScopedResources
    guardrails: Guardrails = field(default_factory=Guardrails)
    # spec.governance: the ACM Policies generated next to the workloads
    pod_security_labels: bool = True
    pull_secrets: bool = True
    models: ModelSettings = ModelSettings()
    hubs: tuple[Hub, ...] = ()  # empty: one hub, inventory clusters/, hub objects hub/

    def environment(self, name: str) -> Environment | None:
        return next((e for e in self.environments if e.name == name), None)

    def delivery_of(self, env: str) -> str:
        e = self.environment(env)
        return e.delivery if e is not None else self.delivery

    def arch_label(self, arch: str) -> str:
        return f"{self.arch_prefix}{arch}"


@dataclass(frozen=True, slots=True)
class Predicate:
    """One OCM predicate: label and claim selectors, ANDed."""

    labels: Selector
    claims: Selector

    def and_(self, other: Predicate) -> Predicate:
        return Predicate(self.labels.and_(other.labels), self.claims.and_(other.claims))


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str | None
    operator: str  # Equal | Exists
    value: str | None
    effect: str | None  # NoSelect | PreferNoSelect | NoSelectIfNew | None = all
    toleration_seconds: int | None = None


@dataclass(frozen=True)
class PlacementPolicy:
    name: str
    predicates: tuple[Predicate, ...]  # ORed
    cluster_sets: tuple[str, ...] | None
    max_clusters: int | None
    tolerations: tuple[Toleration, ...]
    tolerate_offline: bool
    doc: Document


@dataclass(frozen=True)
class ModelVersion:
    """One entry of a Model's spec.versions as declared (parsed by model/sources.py)."""

    version: str
    index: int  # position in spec.versions, for problems
    source: str | None = None
    sha256: str | None = None
    file: str | None = None
    size: Any = None  # bytes (int) or a quantity string, as written


@dataclass(frozen=True)
class Model:
    name: str
    versions: tuple[str, ...]
    placement: str
    storage: Mapping[str, Any]
    description: str
    doc: Document
    entries: tuple[ModelVersion, ...] = ()
    distribution: str = "stager"  # stager | external
    pull_secret: str | None = None
    plain_http: bool = False
    image_volume: bool = False  # its sources are images the kubelet may mount (spec.imageVolume)

    def entry(self, version: str) -> ModelVersion | None:
        return next((e for e in self.entries if e.version == version), None)

    @property
    def external(self) -> bool:
        return self.distribution == "external"


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    mount_path: str


@dataclass(frozen=True)
class Workload:
    name: str
    namespace: str
    spec: Mapping[str, Any]  # repository defaults applied, `environments` removed
    overrides: Mapping[str, Mapping[str, Any]]
    doc: Document

    def enabled_in(self, env: str) -> bool:
        return bool(self.overrides.get(env, {}).get("enabled", True))

    def spec_for(self, env: str) -> dict[str, Any]:
        """The spec as deployed to `env`: overrides replace whole top-level fields.

        A shallow merge: the nested values are shared with the declaration, so
        callers treat the result as read-only (deep-copying every spec for every
        environment was a tenth of a 2,000-workload render)."""
        merged = dict(self.spec)
        for key, value in self.overrides.get(env, {}).items():
            if key != "enabled":
                merged[key] = value
        return merged

    def waves_for(self, env: Environment) -> tuple[Wave, ...]:
        """The environment's waves with this workload's own membership, if it declares one
        (a list whose selectors do not parse falls back: rule wave-declaration says why)."""
        raw = self.spec_for(env.name).get("waves")
        if not raw or not env.waves:
            return env.waves
        return wave_list(raw, env.waves) or env.waves

    def placement_for(self, env: str) -> str:
        return str(self.spec_for(env)["placement"])

    @cached_property
    def model(self) -> ModelRef | None:
        """spec.model (kept: rules, stagings and placements ask it of every workload)."""
        m = self.spec.get("model")
        if not m:
            return None
        return ModelRef(m["name"], m["version"], m.get("mountPath") or f"/models/{m['name']}")

    @property
    def architectures(self) -> tuple[str, ...]:
        return tuple(self.spec.get("architectures") or ())


@dataclass(frozen=True)
class Repo:
    repository: Repository
    workloads: tuple[Workload, ...]
    policies: Mapping[str, PlacementPolicy] = field(default_factory=dict)
    models: Mapping[str, Model] = field(default_factory=dict)
    # (kind, name) of every declaration seen, valid or not: a reference to a
    # declaration that failed its own checks is not reported a second time.
    declared: frozenset[tuple[str, str]] = frozenset()
    # Texts of the files workloads mount (spec.config.files), by repo-relative
    # path, read at the edge by validation so the compilers stay pure.
    files: Mapping[str, str] = field(default_factory=dict)

    def documents(self) -> Iterator[Document]:
        """Every declaration the model was built from: the Repository, then workloads,
        policies and models."""
        if self.repository.doc is not None:
            yield self.repository.doc
        yield from (w.doc for w in self.workloads)
        yield from (p.doc for p in self.policies.values())
        yield from (m.doc for m in self.models.values())

    def for_hub(self, hub: Hub) -> Repo:
        """The repository as one hub sees it: that hub's cluster sets and channel namespace.
        The same object for the same hub, so the planner's memo (placement/decide.py)
        serves validation, plan and render alike."""
        got = _views.get((id(self), hub))
        if got is not None and got[0] is self:
            return got[1]
        r = replace(self.repository, cluster_sets=hub.cluster_sets, channel_namespace=hub.channel_namespace, hubs=())
        view = replace(self, repository=r)
        if len(_views) >= 64:
            _views.clear()
        _views[(id(self), hub)] = (self, view)
        return view

    def workload(self, name: str, namespace: str | None = None) -> Workload | None:
        return next((w for w in self.workloads if w.name == name and namespace in (None, w.namespace)), None)


# Repo.for_hub: (id of the repository, hub) -> (the repository, its view of the hub)
_views: dict[tuple[int, Hub], tuple[Repo, Repo]] = memo.held("model.repo.hub_views", {})
