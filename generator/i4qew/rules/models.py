"""Model sources: every version a workload uses comes from a source pinned by digest,
so the stager can verify it and the gate can hold the pod until it is on the node."""

from __future__ import annotations

from collections.abc import Iterator

from i4qew.k8s import names as k8s_names
from i4qew.model.repo import Model, ModelVersion, Repo, Workload, kube_minor
from i4qew.model.sources import PASSWORD_IN_URL, parse_source, size_bytes
from i4qew.placement.staging import staging_release, users_by_model
from i4qew.problems import Problem, Severity
from i4qew.rules.images import parse_image
from i4qew.rules.registry import given, rule
from i4qew.rules.walk import KeyPath
from i4qew.text import shorten

MIN_IMAGE_VOLUME_VERSION = (1, 33)


def _path(e: ModelVersion, key: str | None = None) -> KeyPath:
    return ("spec", "versions", e.index) if key is None else ("spec", "versions", e.index, key)


@rule(
    "model-source",
    "a model version's source is oci://REGISTRY/REPOSITORY@sha256:<64 hex> or an https URL with its sha256 "
    "(no credentials, a plain file name), its size a byte count; pullSecret is a Secret name",
    passing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  versions:\n"
        "    - version: \"2\"\n"
        "      source: oci://registry.example.com/i4q/detector@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
        "      size: 100Mi"
    ),
    failing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  versions:\n"
        "    - version: \"2\"\n"
        "      source: https://models.example.com/detector/2/model.onnx   # no sha256"
    ),
)
def check_sources(repo: Repo) -> Iterator[Problem]:
    for m in repo.models.values():
        if m.pull_secret is not None:
            msg = k8s_names.dns1123_subdomain(m.pull_secret)
            if msg:
                yield m.doc.problem(("spec", "pullSecret"), "model-source",
                                    f"pullSecret {shorten(m.pull_secret)!r} is not a Secret name: {msg}")
        for e in m.entries:
            yield from _entry_problems(m, e)


def _entry_problems(m: Model, e: ModelVersion) -> Iterator[Problem]:
    if e.source is None:
        return  # a version no workload stages, or one of an external distributor: nothing to fetch
    got = parse_source({k: v for k, v in (("source", e.source), ("sha256", e.sha256), ("file", e.file))
                        if v is not None})
    if isinstance(got, str) and got != PASSWORD_IN_URL:  # plaintext-secret reports that one
        yield m.doc.problem(_path(e, "source"), "model-source",
                            f"version {shorten(e.version)!r}: source {shorten(e.source)!r} {got}")
    size = size_bytes(e.size)
    if isinstance(size, str):
        yield m.doc.problem(_path(e, "size"), "model-source",
                            f"version {shorten(e.version)!r}: size {shorten(str(e.size))!r} {size}")


def _users(repo: Repo) -> dict[tuple[str, str], set[str]]:
    """(model, version) -> the environments some enabled workload pins it in."""
    out: dict[tuple[str, str], set[str]] = {}
    for w in repo.workloads:
        ref = w.model
        if ref is None:
            continue
        for env in repo.repository.environments:
            if w.enabled_in(env.name):
                out.setdefault((ref.name, ref.version), set()).add(env.name)
    return out


@rule(
    "model-source-pin",
    "an OCI model source names a digest: a tag alone is a warning (the stager follows the tag), and an error in "
    "an environment that has promotesFrom (promotion must deploy exactly the bytes that were tested)",
    passing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  distribution: stager\n"
        "  versions:\n"
        "    - {version: \"2\", source: \"oci://registry.example.com/i4q/detector@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}\n"
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"2\"}"
    ),
    failing=(
        "# models/detector.yaml\n"
        "spec:   # production promotesFrom dev: a tag is an error\n"
        "  distribution: stager\n"
        "  versions:\n"
        "    - {version: \"2\", source: \"oci://registry.example.com/i4q/detector:2\"}\n"
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"2\"}"
    ),
)
def check_pins(repo: Repo) -> Iterator[Problem]:
    promoted = [e.name for e in repo.repository.environments if e.promotes_from]
    users = _users(repo)
    for m in repo.models.values():
        for e in m.entries:
            if e.source is None or not e.source.startswith("oci://"):
                continue
            got = parse_source({"source": e.source})
            if isinstance(got, str) or got.digest is not None:
                continue
            envs = users.get((m.name, e.version), set())
            strict = [p for p in promoted if p in envs]
            what = f"version {shorten(e.version)!r}: source {shorten(e.source)!r} names a tag without a digest"
            if strict:
                yield m.doc.problem(_path(e, "source"), "model-source-pin",
                                    f"{what}; environment {', '.join(strict)} is promoted into and must stage "
                                    "exactly the tested bytes: pin it with @sha256:<manifest digest>")
            elif envs:
                yield m.doc.problem(_path(e, "source"), "model-source-pin",
                                    f"{what}; the stager follows the tag, so the bytes can change under the same "
                                    "version: pin @sha256:<manifest digest>", Severity.WARNING)


@given
@rule(
    "model-version-source",
    "a workload's model version has a source, so i4qew can stage and verify it, unless the Model says "
    "distribution: external",
    passing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  distribution: stager\n"
        "  versions:\n"
        "    - {version: \"1\", source: \"oci://registry.example.com/i4q/detector@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}\n"
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"1\"}"
    ),
    failing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  distribution: stager\n"
        "  versions: [\"1\"]   # a name, no source\n"
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"1\"}"
    ),
)
def check_version_sources(repo: Repo) -> Iterator[Problem]:
    for w in repo.workloads:
        ref = w.model
        model = repo.models.get(ref.name) if ref is not None else None
        if ref is None or model is None or model.external:
            continue
        e = model.entry(ref.version)
        if e is None or e.source is not None:
            continue  # an unknown version is unknown-model's
        line = model.doc.at(_path(e))[0]
        yield w.doc.problem(("spec", "model", "version"), "model-version-source",
                            f"model {ref.name!r} version {shorten(ref.version)!r} has no source "
                            f"({model.doc.path}:{line}): i4qew stages only versions pinned by digest; give it "
                            "source: oci://REGISTRY/REPOSITORY@sha256:<64 hex> (or an https URL with sha256), "
                            "or set distribution: external on the Model")


@rule(
    "model-settings",
    "i4qew.yaml spec.models: the namespace is a DNS label that no workload and not the channel uses; the stager "
    "and gate images are valid references, pinned by digest (a tag alone is a warning)",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  models:\n"
        "    namespace: i4qew-models\n"
        "    gateImage: docker.io/library/busybox:1.37@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  models: {namespace: plant}   # the namespace of workload app"
    ),
)
def check_settings(repo: Repo) -> Iterator[Problem]:
    r = repo.repository
    if r.doc is None or "models" not in r.doc.data["spec"]:
        return
    given = r.doc.data["spec"]["models"]
    settings = r.models
    base = ("spec", "models")
    if "namespace" in given:
        msg = k8s_names.dns1123_label(settings.namespace)
        if msg:
            yield r.doc.problem((*base, "namespace"), "model-settings",
                                f"namespace {shorten(settings.namespace)!r} is not a namespace name: {msg}")
    users = sorted(w.name for w in repo.workloads if w.namespace == settings.namespace)
    if users:
        yield r.doc.problem((*base, "namespace"), "model-settings",
                            f"namespace {settings.namespace!r} holds the model stagers and cannot also hold "
                            f"workloads ({shorten(', '.join(users))}): choose another namespace")
    elif settings.namespace in {r.channel_namespace, *(h.channel_namespace for h in r.hubs)}:
        yield r.doc.problem((*base, "namespace"), "model-settings",
                            f"namespace {settings.namespace!r} is the channel namespace"
                            f"{' of a hub' if settings.namespace != r.channel_namespace else ''}; the model "
                            "stagers need their own")
    for key, image in (("stagerImage", settings.stager_image), ("gateImage", settings.gate_image)):
        if key not in given:
            continue
        got = parse_image(image)
        if isinstance(got, str):
            yield r.doc.problem((*base, key), "model-settings", f"{key} {shorten(image)!r} {got}")
        elif got.digest is None:
            yield r.doc.problem((*base, key), "model-settings",
                                f"{key} {shorten(image)!r} has no digest; every edge node runs it: pin "
                                "@sha256:<digest of the multi-arch image index>", Severity.WARNING)


@rule(
    "image-volumes",
    "an environment's imageVolumes.minKubeVersion is MAJOR.MINOR and at least 1.33: the kubelet mounts image "
    "volumes from 1.33 (beta, feature gate ImageVolume off by default) and by default from 1.35; not with "
    "spec.hubs (the hubs share the charts, each hub's inventory would decide alone)",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments:\n"
        "    - {name: dev, selector: \"stage=dev\", imageVolumes: {minKubeVersion: \"1.35\"}}\n"
        "    - {name: production, selector: \"stage=production\", promotesFrom: dev}"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  environments:\n"
        "    - {name: dev, selector: \"stage=dev\", imageVolumes: {minKubeVersion: \"1.31\"}}   # alpha\n"
        "    - {name: production, selector: \"stage=production\", promotesFrom: dev}"
    ),
)
def check_image_volumes(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None:
        return
    for i, env in enumerate(doc.data["spec"].get("environments") or ()):
        if "imageVolumes" in env and repo.repository.hubs:
            yield doc.problem(("spec", "environments", i, "imageVolumes"), "image-volumes",
                              f"environment {env.get('name')!r}: image volumes with spec.hubs are not supported yet "
                              "(the hubs share charts/ and staging/, and whether a model can be an image volume "
                              "depends on each hub's clusters); remove imageVolumes: the models are staged "
                              "(docs/hubs.md)")
            continue
        text = (env.get("imageVolumes") or {}).get("minKubeVersion")
        if text is None:
            continue
        path = ("spec", "environments", i, "imageVolumes", "minKubeVersion")
        got = kube_minor(text)
        if got is None:
            yield doc.problem(path, "image-volumes",
                              f"minKubeVersion {shorten(text)!r} is not a Kubernetes version: write MAJOR.MINOR, e.g. \"1.35\"")
        elif got < MIN_IMAGE_VOLUME_VERSION:
            yield doc.problem(path, "image-volumes",
                              f"minKubeVersion {text!r}: Kubernetes mounts image volumes from 1.33 (beta, with the "
                              "ImageVolume feature gate enabled on kube-apiserver and kubelet, and containerd 2.1 or "
                              "newer) and by default from 1.35; use \"1.35\", or \"1.33\" where the gate is enabled")


@rule(
    "model-staging-name",
    "a workload in a namespace where a PVC model is staged is named neither like the model (its Subscription, "
    "Placement and PlacementBinding are <model>-<env>) nor like the staging's Helm release <model>-<env>",
    passing=(
        "# models/detector.yaml (the whole file)\n"
        "apiVersion: edge.i4q.eu/v1alpha1\n"
        "kind: Model\n"
        "metadata: {name: detector}\n"
        "spec:\n"
        "  versions: [{version: \"1\", source: \"oci://registry.example.com/i4q/detector@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}]\n"
        "  placement: edge\n"
        "  storage: {persistentVolumeClaim: {claimName: models}}   # staged in namespace plant\n"
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"1\"}"
    ),
    failing=(
        "# models/detector.yaml (the whole file)\n"
        "apiVersion: edge.i4q.eu/v1alpha1\n"
        "kind: Model\n"
        "metadata: {name: detector}\n"
        "spec:\n"
        "  versions: [{version: \"1\", source: \"oci://registry.example.com/i4q/detector@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}]\n"
        "  placement: edge\n"
        "  storage: {persistentVolumeClaim: {claimName: models}}   # staged in namespace plant\n"
        "# workloads/app.yaml\n"
        "metadata: {name: detector}\n"
        "spec:\n"
        "  model: {name: detector, version: \"1\"}"
    ),
)
def check_staging_names(repo: Repo) -> Iterator[Problem]:
    reported: set[tuple[str, str]] = set()
    by_name: dict[tuple[str, str], list[tuple[int, Workload]]] = {}
    for i, w in enumerate(repo.workloads):
        by_name.setdefault((w.namespace, w.name), []).append((i, w))
    for env in repo.repository.environments:
        for model, namespace in _staged_beside_workloads(repo, env.name):
            taken = {model.name: "the names of the Subscription and Placement that stage",
                     staging_release(model.name, env.name): "the name of the Helm release that stages"}
            named = sorted(iw for name in taken for iw in by_name.get((namespace, name), ()))
            for _, w in named:
                what = taken[w.name]
                if (w.namespace, w.name) in reported:
                    continue
                reported.add((w.namespace, w.name))
                yield w.doc.problem(("metadata", "name"), "model-staging-name",
                                    f"workload {w.name!r} would share {what} model "
                                    f"{model.name!r} (a PersistentVolumeClaim) in namespace {w.namespace} in "
                                    f"{env.name} ({staging_release(model.name, env.name)}); rename the workload")


def _staged_beside_workloads(repo: Repo, env: str) -> Iterator[tuple[Model, str]]:
    """The (model, namespace) of `stagings(repo, env)` outside the models namespace, in its
    order, without building them: a PVC model is staged in each namespace of its users
    where its policy resolves (placement/staging.py _stagings, staging_for); any other
    model in the models namespace."""
    using = users_by_model(repo, env)
    for model in repo.models.values():
        if model.external or "persistentVolumeClaim" not in model.storage or model.placement not in repo.policies:
            continue
        for namespace in sorted({w.namespace for w in using.get(model.name, ())}):
            if namespace != repo.repository.models.namespace:
                yield model, namespace
