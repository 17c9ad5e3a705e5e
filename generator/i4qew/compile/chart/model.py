"""The model part of a workload's chart values: the volume, the mount and the gate.

A workload that names a Model gets (docs/model-index.md):

- the Model's storage as the `model` volume: hostPath of type Directory (the stager's
  root; a node that never staged anything fails the mount visibly), or the PVC;
- the main container mounting it read-only with `subPath: MODEL/VERSION`: a subPath is
  resolved when the container starts, after the init containers, so the container
  mounts the very directory the gate has just checked;
- the gate, an init container (`files/i4qew-gate.sh` of the chart, run by the gate
  image's `sh`) that mounts the same volume read-only at GATE_ROOT and exits 0 only when
  `MODEL/VERSION/.i4qew-ready` records the declared digest. Until then the pod does not
  start, so a Deployment's rolling update keeps the old pods serving where the new
  version is not staged yet. A version without a pin (an external distributor's without
  a source, or an OCI tag the stager follows) is gated with `any`: its marker must be
  there, with whatever digest.

Where the environment mounts the model as an image volume (placement/image_volumes.py),
the volume is `image: {reference: REGISTRY/REPOSITORY@sha256:…}` mounted whole, and there
is no gate: the kubelet pulls by digest before the pod starts.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any, Final

from i4qew.model.repo import Repo
from i4qew.model.sources import version_source

GATE_ROOT: Final = "/i4qew/models"
GATE_FILE: Final = "files/i4qew-gate.sh"
ANY_DIGEST: Final = "any"


def gate_script() -> bytes:
    """The gate program (package data of i4qew.edge), copied into each gated chart."""
    return files("i4qew").joinpath("edge", "gate.sh").read_bytes()


def declared_digest(repo: Repo, name: str, version: str) -> str:
    """The digest the gate compares with the marker's: the source's pin, else `any`."""
    source = version_source(repo.models[name], version)
    return source.digest if source is not None and source.digest else ANY_DIGEST


def model_values(repo: Repo, spec: dict[str, Any], image: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`image`: the models mounted as image volumes in this environment."""
    ref = spec.get("model")
    if not ref:
        return {}
    name, version = ref["name"], ref["version"]
    mount = ref.get("mountPath") or f"/models/{name}"
    source = version_source(repo.models[name], version)
    if name in image and source is not None:
        # The kubelet pulls it by digest and mounts it read-only before the pod starts: no gate.
        return {"name": name, "version": version, "mountPath": mount, "subPath": "",
                "volume": {"image": {"reference": source.image, "pullPolicy": "IfNotPresent"}}, "gate": {}}
    storage = repo.models[name].storage
    volume: dict[str, Any]
    if "persistentVolumeClaim" in storage:
        pvc = storage["persistentVolumeClaim"]
        volume = {"persistentVolumeClaim": {"claimName": pvc["claimName"], "readOnly": pvc.get("readOnly", True)}}
    else:
        # Directory: the stager creates the root; never an empty stand-in.
        volume = {"hostPath": {"path": storage["hostPath"], "type": "Directory"}}
    settings = repo.repository.models
    return {
        "name": name,
        "version": version,
        "mountPath": mount,
        "subPath": f"{name}/{version}",
        "volume": volume,
        "gate": {
            "image": settings.gate_image,
            "root": GATE_ROOT,
            "timeout": settings.gate_timeout,
            "args": [name, version, declared_digest(repo, name, version)],
        },
    }
