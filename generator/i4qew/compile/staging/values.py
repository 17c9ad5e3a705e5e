"""The values of a model's staging chart: the stager's desired state and how it runs.

Two modes, by the Model's storage:

- node (hostPath): a DaemonSet in the models' namespace runs the stager on every node that
  may run a workload of the model (the workloads' architectures; the GPU taint tolerated
  when one needs a GPU), with the host directory as ROOT (DirectoryOrCreate), as root;
- volume (persistentVolumeClaim): in the workload namespace that mounts the claim, a Job
  per version runs the stager once over it (`--only MODEL/VERSION`; the whole desired
  state still decides what stays), as a non-root user the claim's fsGroup lets write.

The desired state (docs/model-index.md) lists every version some workload of the
environment pins, with its pinned source; the stager verifies each digest before it
writes the readiness marker the workloads' gates read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from i4qew.compile.chart.model import GATE_ROOT
from i4qew.compile.staging.names import job_name, staging_owner, staging_release
from i4qew.model.repo import GPU_RESOURCE, Repo
from i4qew.model.sources import version_size, version_source
from i4qew.placement.staging import Staging

API_VERSION: Final = "edge.i4q.eu/v1alpha1"
PROGRAM_DIR: Final = "/i4qew/stager"
DESIRED_DIR: Final = "/etc/i4qew/desired"
DESIRED_FILE: Final = "staging.json"
PULL_DIR: Final = "/etc/i4qew/pull"
PULL_FILE: Final = "config.json"
# On a shared volume nothing runs between Jobs: an owner record must not expire while
# its versions are in use (docs/model-index.md, "What stays"). Ten years.
JOB_OWNER_TTL: Final = 315_360_000
# Pod restarts a Job allows (kubelet back-off up to 6 min, plus the stager's own retries
# within each run): about five days of an unreachable source.
JOB_BACKOFF_LIMIT: Final = 300


# The stager's user. On a node it is root: the kubelet creates the hostPath directory
# root-owned, and no capability is needed to write one's own directory. On a claim it is
# a non-root user that the volume's group (fsGroup) lets write: that meets the
# "restricted" Pod Security level of a workload namespace.
STAGER_UID: Final = 65532


def security(mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(pod, container) securityContext of the stager: read-only root file system, no
    capability, no privilege escalation, RuntimeDefault seccomp in both modes."""
    container: dict[str, Any] = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                 "privileged": False, "readOnlyRootFilesystem": True}
    if mode == "node":
        pod = {"runAsGroup": 0, "runAsNonRoot": False, "runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}
    else:
        pod = {"fsGroup": STAGER_UID, "fsGroupChangePolicy": "OnRootMismatch", "runAsGroup": STAGER_UID,
               "runAsNonRoot": True, "runAsUser": STAGER_UID, "seccompProfile": {"type": "RuntimeDefault"}}
    container.update({k: v for k, v in pod.items() if k in ("runAsGroup", "runAsNonRoot", "runAsUser", "seccompProfile")})
    return pod, dict(sorted(container.items()))


def desired_state(repo: Repo, staging: Staging, held: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """`held`: version -> the desired entry a held-back rollout wave's commit staged it with
    (gitops/held_models.py); those of `staging.versions` no workload of this render pins."""
    model = staging.model
    entries: list[dict[str, Any]] = []
    for version in staging.versions:
        if held and version in held:
            entries.append(dict(held[version]))
            continue
        source = version_source(model, version)
        assert source is not None  # validation refuses a staged version without one
        entry: dict[str, Any] = {"model": model.name, "version": version, "source": source.text}
        if source.kind == "https":
            assert source.digest is not None
            entry["sha256"] = source.digest.removeprefix("sha256:")
            entry["file"] = source.file
        else:
            if model.pull_secret:
                entry["pullSecret"] = f"{PULL_DIR}/{PULL_FILE}"
            if model.plain_http:
                entry["plainHTTP"] = True
        size = version_size(model, version)
        if size is not None:
            entry["size"] = size
        entries.append(entry)
    return {
        "apiVersion": API_VERSION,
        "kind": "ModelStaging",
        "owner": staging_owner(model.name, staging.env),
        "root": GATE_ROOT,
        "keepPrevious": repo.repository.models.keep_previous,
        "versions": entries,
    }


def staging_values(repo: Repo, staging: Staging, program_digest: str,
                   held: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The chart's values; `program_digest` identifies the stager program the chart carries."""
    model = staging.model
    settings = repo.repository.models
    release = staging_release(model.name, staging.env)
    storage = model.storage
    desired = desired_state(repo, staging, held)
    jobs: list[dict[str, str]] = []
    volume: dict[str, Any]
    if "persistentVolumeClaim" in storage:
        mode = "volume"
        claim = storage["persistentVolumeClaim"]["claimName"]
        volume = {"persistentVolumeClaim": {"claimName": claim}}
        for entry in desired["versions"]:
            pin = version_source(model, entry["version"])
            fingerprint = "\0".join((pin.digest if pin and pin.digest else entry["source"], settings.stager_image,
                                     program_digest, claim, model.pull_secret or ""))
            jobs.append({"name": job_name(release, entry["version"], fingerprint),
                         "only": f"{model.name}/{entry['version']}"})
    else:
        mode = "node"
        volume = {"hostPath": {"path": storage["hostPath"], "type": "DirectoryOrCreate"}}
    pod_sc, container_sc = security(mode)
    return {
        "name": release,
        "model": model.name,
        "environment": staging.env,
        "owner": desired["owner"],
        "mode": mode,
        "image": settings.stager_image,
        "root": GATE_ROOT,
        "volume": volume,
        "pullSecret": model.pull_secret or "",
        "podSecurityContext": pod_sc,
        "securityContext": container_sc,
        "architectures": list(staging.architectures),
        "tolerations": [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}] if staging.gpu else [],
        "programDigest": program_digest,
        "jobs": jobs,
        "jobOwnerTTL": JOB_OWNER_TTL,
        "jobBackoffLimit": JOB_BACKOFF_LIMIT,
        "desired": desired,
    }
