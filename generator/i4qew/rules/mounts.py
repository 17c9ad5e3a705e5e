"""What ends up on the node's file system: model versions and storage, mount paths,
ConfigMap keys, and the architectures a workload's image runs on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from i4qew import memo
from i4qew.load.documents import Document
from i4qew.model.repo import Repo
from i4qew.model.sources import VERSION_NAME
from i4qew.problems import Problem
from i4qew.rules.registry import local, rule
from i4qew.text import shorten

_CONFIGMAP_KEY = re.compile(r"[-._a-zA-Z0-9]+")
READ_ONLY_ROOT_TMP = "/tmp"  # compile/chart/fixed: an emptyDir there when readOnlyRootFilesystem
MAX_CONFIGMAP_KEY = 253
DEFAULT_LAYOUT = "{name}/{version}"


@memo.lru(4096)
def absolute_path_problem(path: str) -> str | None:
    """Why a mount or host path is refused, or None: absolute, no '..', not '/' itself.
    Cached: 10,000 workloads mount a few hundred distinct paths."""
    if not path.startswith("/"):
        return "must be an absolute path (start with '/')"
    if ".." in PurePosixPath(path).parts:
        return "must not contain '..'"
    if PurePosixPath(path) == PurePosixPath("/"):
        return "must not be '/' itself"
    if any(ch.isspace() for ch in path):
        return "must not contain whitespace"
    return None


@memo.lru(4096)
def normal_path(path: str) -> str:
    """`path` as PurePosixPath spells it (no doubled or trailing '/', no '.' parts)."""
    return str(PurePosixPath(path))


def configmap_key_problem(key: str) -> str | None:
    """Why a ConfigMap key (the file name in the mount) is refused, or None."""
    if len(key) > MAX_CONFIGMAP_KEY:
        return f"must be at most {MAX_CONFIGMAP_KEY} characters"
    if not _CONFIGMAP_KEY.fullmatch(key):
        return "must consist of letters, digits, '-', '_' or '.' (a file name, no '/')"
    if key in (".", "..") or key.startswith(".."):
        return "must not be '.' or '..' or start with '..'"
    return None


@local
@rule(
    "model-versions",
    "a Model's versions are unique and each one is a directory name the readiness marker contract allows: "
    "letters, digits, '.', '_', '-', at most 128, not starting with '.', '_' or '-'",
    passing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  versions: [\"1\", \"2\"]"
    ),
    failing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  versions: [\"1\", \"2\", \"2\"]"
    ),
)
def check_versions(repo: Repo) -> Iterator[Problem]:
    for m in repo.models.values():
        seen: dict[str, int] = {}
        for e in m.entries:
            i, v = e.index, e.version
            written_alone = isinstance(m.doc.data["spec"]["versions"][i], str)
            path: tuple[str | int, ...] = ("spec", "versions", i) if written_alone else ("spec", "versions", i, "version")
            if not VERSION_NAME.fullmatch(v):
                yield m.doc.problem(path, "model-versions",
                                    f"version {shorten(v)!r} must be a directory name of letters, digits, '.', '_' "
                                    "and '-' (at most 128, starting with a letter or digit): the stager and the gate "
                                    "read ROOT/MODEL/VERSION")
            elif v in seen:
                yield m.doc.problem(path, "model-versions", f"version {v!r} is already listed at versions[{seen[v]}]")
            seen.setdefault(v, i)


@local
@rule(
    "model-storage",
    "a Model's storage has exactly one of hostPath (absolute) and persistentVolumeClaim; subPathTemplate, if "
    "given, is {name}/{version} (where the gate reads the readiness marker)",
    passing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  storage: {hostPath: /var/lib/i4q/models}"
    ),
    failing=(
        "# models/detector.yaml\n"
        "spec:\n"
        "  storage: {hostPath: /var/lib/i4q/models, persistentVolumeClaim: {claimName: models}}"
    ),
)
def check_storage(repo: Repo) -> Iterator[Problem]:
    for m in repo.models.values():
        storage = m.storage
        kinds = [k for k in ("hostPath", "persistentVolumeClaim") if k in storage]
        if len(kinds) != 1:
            what = "both hostPath and persistentVolumeClaim" if kinds else "neither hostPath nor persistentVolumeClaim"
            yield m.doc.problem(("spec", "storage"), "model-storage",
                                f"storage has {what}; give exactly one")
        host = storage.get("hostPath")
        if isinstance(host, str):
            msg = absolute_path_problem(host)
            if msg:
                yield m.doc.problem(("spec", "storage", "hostPath"), "model-storage", f"hostPath {shorten(host)!r} {msg}")
        template = storage.get("subPathTemplate")
        if isinstance(template, str) and (template.startswith("/") or ".." in PurePosixPath(template).parts):
            yield m.doc.problem(("spec", "storage", "subPathTemplate"), "model-storage",
                                f"subPathTemplate {shorten(template)!r} must be a relative path without '..'")
        elif isinstance(template, str) and template != DEFAULT_LAYOUT:
            yield m.doc.problem(("spec", "storage", "subPathTemplate"), "model-storage",
                                f"subPathTemplate {shorten(template)!r}: the gate reads the readiness marker at "
                                f"ROOT/MODEL/VERSION, so a version is mounted from {DEFAULT_LAYOUT}; remove "
                                "subPathTemplate (docs/model-index.md)")


@local
@rule(
    "mount-path",
    "model.mountPath and config.mountPath are absolute paths without '..', not the same directory, and not /tmp "
    "under a read-only root file system",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"1\", mountPath: /models/detector}\n"
        "  config: {mountPath: /etc/app, data: {app.yaml: \"x: 1\"}}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  model: {name: detector, version: \"1\", mountPath: models/detector}"
    ),
)
def check_mount_paths(repo: Repo) -> Iterator[Problem]:
    for w in repo.workloads:
        spec: dict[str, Any] = w.doc.data["spec"]
        paths: dict[str, tuple[str, ...]] = {}
        for field in ("model", "config"):
            mount = (spec.get(field) or {}).get("mountPath")
            if not isinstance(mount, str):
                continue
            msg = absolute_path_problem(mount)
            if msg:
                yield w.doc.problem(("spec", field, "mountPath"), "mount-path", f"{field}.mountPath {shorten(mount)!r} {msg}")
                continue
            normal = normal_path(mount)
            if normal == READ_ONLY_ROOT_TMP and (w.spec.get("securityContext") or {}).get("readOnlyRootFilesystem"):
                # the chart mounts a writable emptyDir at /tmp under a read-only root
                yield w.doc.problem(("spec", field, "mountPath"), "mount-path",
                                    f"{field}.mountPath {mount!r} is where the chart mounts the writable /tmp of a "
                                    "read-only root file system; mount it elsewhere")
                continue
            if normal in paths:
                yield w.doc.problem(("spec", field, "mountPath"), "mount-path",
                                    f"{field}.mountPath {mount!r} is also the model's mountPath; one volume would hide the other")
            paths[normal] = ("spec", field, "mountPath")


@local
@rule(
    "config-key",
    "config.data and config.files keys are valid ConfigMap keys (file names) and not given in both",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  config: {mountPath: /etc/app, data: {app.yaml: \"x: 1\"}}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  config: {mountPath: /etc/app, data: {conf/app.yaml: \"x: 1\"}}"
    ),
)
def check_config_keys(repo: Repo) -> Iterator[Problem]:
    for w in repo.workloads:
        config = w.doc.data["spec"].get("config") or {}
        data = config.get("data") or {}
        files = config.get("files") or {}
        for section, entries in (("data", data), ("files", files)):
            for key in sorted(entries):
                msg = configmap_key_problem(key)
                if msg:
                    yield w.doc.problem(("spec", "config", section, key), "config-key",
                                        f"config file name {shorten(key)!r} {msg}", key=True)
                elif section == "files" and key in data:
                    yield w.doc.problem(("spec", "config", "files", key), "config-key",
                                        f"config file {key!r} is given in both config.data and config.files", key=True)


@local
@rule(
    "duplicate-architecture",
    "architectures lists each CPU architecture once",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  architectures: [amd64, arm64]"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  architectures: [amd64, arm64, amd64]"
    ),
)
def check_architectures(repo: Repo) -> Iterator[Problem]:
    places: list[tuple[Document, tuple[str, ...], list[Any]]] = []
    doc = repo.repository.doc
    if doc is not None:
        defaults = doc.data["spec"].get("defaults") or {}
        places.append((doc, ("spec", "defaults", "architectures"), defaults.get("architectures") or []))
    for w in repo.workloads:
        places.append((w.doc, ("spec", "architectures"), w.doc.data["spec"].get("architectures") or []))
    for d, path, archs in places:
        seen: set[str] = set()
        for i, arch in enumerate(archs):
            if arch in seen:
                yield d.problem((*path, i), "duplicate-architecture", f"architecture {arch} is listed twice")
            seen.add(arch)
