"""Turn schema-valid documents into the typed `Repo`, reporting what cannot be built.

Only documents that passed their JSON Schema arrive here, so shapes are known;
what can still fail is the selector language and cross-field facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from i4qew.guardrails.build import build_guardrails
from i4qew.k8s.selector_structured import from_structured
from i4qew.k8s.selector_text import parse_selector
from i4qew.k8s.selectors import Selector, SelectorError, everything
from i4qew.load.documents import Document
from i4qew.model.repo import (
    DEFAULT_ARCH_PREFIX,
    DEFAULT_ARGOCD_NAMESPACE,
    DEFAULT_ARGOCD_SERVER,
    DEFAULT_CHANNEL_NAMESPACE,
    DEFAULT_GPU_LABEL,
    DEFAULT_GPU_RUNTIME_CLASS,
    DEFAULT_IMAGE_VOLUME_VERSION,
    HUB_CLUSTER_LIMIT,
    ArgoCD,
    Environment,
    Hub,
    Model,
    ModelSettings,
    ModelVersion,
    PlacementPolicy,
    Predicate,
    Repo,
    Repository,
    Toleration,
    Workload,
    kube_minor,
)
from i4qew.model.waves import wave_list
from i4qew.problems import Problem

DEFAULT_ENVIRONMENTS: tuple[dict[str, Any], ...] = (
    {"name": "dev", "branch": "acm-dev"},
    {"name": "production", "branch": "production", "promotesFrom": "dev"},
)


def selector_at(doc: Document, path: tuple[str | int, ...], text: str, out: list[Problem]) -> Selector | None:
    try:
        return parse_selector(text)
    except SelectorError as exc:
        out.append(doc.problem(path, "selector-syntax", exc.message, column_offset=exc.column - 1))
        return None


def build_repository(doc: Document | None, out: list[Problem]) -> Repository:
    spec: dict[str, Any] = doc.data["spec"] if doc else {"git": {"url": ""}}
    meta: dict[str, Any] = doc.data["metadata"] if doc else {"name": "i4qew"}
    envs = []
    runtime_class = spec.get("gpuRuntimeClass", DEFAULT_GPU_RUNTIME_CLASS)
    for i, e in enumerate(spec.get("environments") or DEFAULT_ENVIRONMENTS):
        text = e.get("selector", "")
        sel = selector_at(doc, ("spec", "environments", i, "selector"), text, out) if (doc and text) else everything()
        name = e["name"]
        default_branch = "acm-dev" if name == "dev" else name
        waves = (wave_list(e["waves"]) or ()) if e.get("waves") else ()
        for j, wave in enumerate(e.get("waves") or ()):
            if doc and "selector" in wave:  # reported here once; wave_list dropped the list
                selector_at(doc, ("spec", "environments", i, "waves", j, "selector"), wave["selector"], out)
        image = e.get("imageVolumes")
        minimum = None if image is None else (
            kube_minor(image.get("minKubeVersion", "")) or DEFAULT_IMAGE_VOLUME_VERSION)  # rule image-volumes
        envs.append(Environment(name, e.get("branch", default_branch), sel or everything(), text, e.get("promotesFrom"), i,
                                e.get("gpuRuntimeClass", runtime_class), image_volumes=minimum,
                                delivery=e.get("delivery", spec.get("delivery", "subscription")), waves=waves))
    git = spec["git"]
    sets = tuple(spec.get("clusterSets", ["global"]))
    channel_ns = spec.get("channelNamespace", DEFAULT_CHANNEL_NAMESPACE)
    hubs = tuple(Hub(h["name"], tuple(h.get("clusterSets", sets)), h.get("channelNamespace", channel_ns),
                     h.get("managedClusterLimit", HUB_CLUSTER_LIMIT), i) for i, h in enumerate(spec.get("hubs") or ()))
    subscription = spec.get("subscription", {})
    labels = spec.get("clusterLabels", {})
    return Repository(
        name=meta["name"],
        git_url=git["url"],
        git_secret_ref=git.get("secretRef"),
        git_insecure=bool(git.get("insecureSkipVerify", False)),
        delivery=spec.get("delivery", "subscription"),
        placement_api=spec.get("placementApi", "Placement"),
        cluster_sets=sets,
        environments=tuple(envs),
        channel_namespace=channel_ns,
        arch_prefix=labels.get("architecturePrefix", DEFAULT_ARCH_PREFIX),
        gpu_label=labels.get("gpu", DEFAULT_GPU_LABEL),
        capacity_warn_percent=int(spec.get("capacity", {}).get("warnAbovePercent", 85)),
        defaults=spec.get("defaults", {}),
        doc=doc,
        argocd=_argocd(spec.get("argocd") or {}),
        git_ca_file=git.get("caFile"),
        reconcile_rate=subscription.get("reconcileRate"),
        watch_helm_resources=bool(subscription.get("watchHelmNamespaceScopedResources", False)),
        guardrails=build_guardrails(doc),
        pod_security_labels=bool(spec.get("governance", {}).get("podSecurityLabels", True)),
        pull_secrets=bool(spec.get("governance", {}).get("pullSecrets", True)),
        models=_model_settings(spec.get("models") or {}),
        hubs=hubs,
    )


def _model_settings(spec: dict[str, Any]) -> ModelSettings:
    d = ModelSettings()
    return ModelSettings(spec.get("namespace", d.namespace), spec.get("stagerImage", d.stager_image),
                         spec.get("gateImage", d.gate_image), spec.get("gateTimeoutSeconds", d.gate_timeout),
                         spec.get("keepPrevious", d.keep_previous))
def _argocd(a: dict[str, Any]) -> ArgoCD:
    return ArgoCD(
        namespace=a.get("namespace", DEFAULT_ARGOCD_NAMESPACE),
        server=a.get("server", DEFAULT_ARGOCD_SERVER),
        project=a.get("project", "default"),
        mode=a.get("mode", "push"),
        sync_options=tuple(a.get("syncOptions") or ()),
    )


def _predicate(doc: Document, path: tuple[str | int, ...], spec: dict[str, Any], out: list[Problem]) -> Predicate | None:
    ok = True
    labels = everything()
    if "selector" in spec:
        sel = selector_at(doc, (*path, "selector"), spec["selector"], out)
        ok = sel is not None
        labels = sel or labels
    if "matchLabels" in spec or "matchExpressions" in spec:
        try:
            labels = labels.and_(from_structured(spec.get("matchLabels"), spec.get("matchExpressions")))
        except SelectorError as exc:
            out.append(doc.problem((*path, *exc.path), "selector-syntax", exc.message))
            ok = False
    claims = everything()
    c = spec.get("claims")
    if isinstance(c, str):
        sel = selector_at(doc, (*path, "claims"), c, out)
        ok = ok and sel is not None
        claims = sel or claims
    elif isinstance(c, dict):
        try:
            claims = from_structured(None, c.get("matchExpressions"))
        except SelectorError as exc:
            out.append(doc.problem((*path, "claims", *exc.path), "selector-syntax", exc.message))
            ok = False
    return Predicate(labels, claims) if ok else None


def build_policy(doc: Document, out: list[Problem]) -> PlacementPolicy | None:
    spec = doc.data["spec"]
    base = _predicate(doc, ("spec",), spec, out)
    if base is None:
        return None
    predicates: list[Predicate] = []
    for i, alt in enumerate(spec.get("anyOf") or [{}]):
        p = _predicate(doc, ("spec", "anyOf", i), alt, out)
        if p is None:
            return None
        predicates.append(base.and_(p))
    tolerations = tuple(
        Toleration(t.get("key"), t.get("operator", "Equal"), t.get("value"), t.get("effect"), t.get("tolerationSeconds"))
        for t in spec.get("tolerations", [])
    )
    sets = spec.get("clusterSets")
    return PlacementPolicy(
        name=doc.data["metadata"]["name"],
        predicates=tuple(predicates),
        cluster_sets=tuple(sets) if sets else None,
        max_clusters=spec.get("maxClusters"),
        tolerations=tolerations,
        tolerate_offline=spec.get("tolerateOffline", True),
        doc=doc,
    )


def build_model(doc: Document) -> Model:
    spec = doc.data["spec"]
    entries = tuple(
        ModelVersion(v, i) if isinstance(v, str)
        else ModelVersion(v["version"], i, v.get("source"), v.get("sha256"), v.get("file"), v.get("size"))
        for i, v in enumerate(spec["versions"]))
    return Model(doc.data["metadata"]["name"], tuple(e.version for e in entries), spec["placement"], spec["storage"],
                 spec.get("description", ""), doc, entries, spec.get("distribution", "stager"),
                 spec.get("pullSecret"), bool(spec.get("plainHTTP", False)), bool(spec.get("imageVolume", False)))


def build_workload(doc: Document, repo: Repository, out: list[Problem]) -> Workload | None:
    meta = doc.data["metadata"]
    spec = dict(doc.data["spec"])
    overrides = spec.pop("environments", {}) or {}
    namespace = meta.get("namespace") or repo.defaults.get("namespace")
    if not namespace:
        out.append(doc.problem(("metadata",), "missing-field",
                               "metadata: missing 'namespace' (or set spec.defaults.namespace in i4qew.yaml)", key=True))
        return None
    for key in ("imagePullSecrets", "architectures", "securityContext", "rollout"):
        if key not in spec and key in repo.defaults:
            spec[key] = repo.defaults[key]
    return Workload(meta["name"], namespace, spec, overrides, doc)


def build_repo(
    repo_doc: Document | None,
    docs: Iterable[Document],
    out: list[Problem],
    declared: frozenset[tuple[str, str]] = frozenset(),
) -> Repo:
    repository = build_repository(repo_doc, out)
    workloads: list[Workload] = []
    policies: dict[str, PlacementPolicy] = {}
    models: dict[str, Model] = {}
    for doc in docs:
        kind = doc.kind
        if kind == "PlacementPolicy":
            p = build_policy(doc, out)
            if p is not None:
                policies.setdefault(p.name, p)
        elif kind == "Model":
            m = build_model(doc)
            models.setdefault(m.name, m)
        elif kind == "Workload":
            w = build_workload(doc, repository, out)
            if w is not None:
                workloads.append(w)
    workloads.sort(key=lambda w: (w.name, w.namespace))
    return Repo(repository, tuple(workloads), dict(sorted(policies.items())), dict(sorted(models.items())), declared)
