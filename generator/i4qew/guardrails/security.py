"""The securityContext a workload's pods run with: i4qew's defaults merged with
the workload's `spec.securityContext` (the chart's values and the guardrail
rules both read it from here, so what is judged is what is deployed).

Defaults: the Pod Security Standard "restricted" profile — no privilege
escalation, every capability dropped, RuntimeDefault seccomp — run as the
numeric user 65532. A k3s kubelet has no OpenShift to assign a UID: with
`runAsNonRoot: true` and no numeric `runAsUser` it refuses an image whose USER
is root or a name (kubelet verifyRunAsNonRoot), and common AI images are
root. A numeric default starts every image; the image then has to tolerate an
arbitrary UID (as on OpenShift). The group stays the image's (GID 0 for an
image without a passwd entry for the UID, as OpenShift's restricted SCC runs
pods), so group-writable image files stay writable. 65532 is the `nonroot`
user of distroless images: no login user of a node (1000+) or system user.

A workload that sets `runAsNonRoot: false` without `runAsUser` runs as the
image's USER (root for most AI images); `runAsUser: 0` without
`runAsNonRoot` runs as root. Both are judged by the `run-as-root` guardrail.

readOnlyRootFilesystem stays false by default: typical AI images write to
/tmp and ~/.cache and fail on a read-only root. `capabilities` keeps dropping
ALL unless the workload gives its own `drop`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

DEFAULT_USER: Final = 65532
# Fields of spec.securityContext that belong to the pod, the container, or both.
POD_ONLY: Final = ("fsGroup",)
BOTH: Final = ("runAsNonRoot", "runAsUser", "runAsGroup", "seccompProfile")
RESTRICTED_CONTAINER: Final[Mapping[str, Any]] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": False,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class Security:
    """The pod-level and container-level securityContext as rendered."""

    pod: Mapping[str, Any]
    container: Mapping[str, Any]

    def get(self, name: str) -> Any:
        """The effective value of a field: the container's, else the pod's."""
        return self.container.get(name, self.pod.get(name))

    @property
    def user(self) -> int | None:
        """The numeric user, or None when the image's USER decides."""
        value = self.get("runAsUser")
        return value if isinstance(value, int) else None

    @property
    def may_run_as_root(self) -> bool:
        """Root, or possibly root: runAsUser 0, or no numeric user and runAsNonRoot not true."""
        return self.user == 0 or (self.user is None and self.get("runAsNonRoot") is not True)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def identity(given: Mapping[str, Any]) -> dict[str, Any]:
    """runAsNonRoot and runAsUser as deployed (see the module docstring)."""
    out: dict[str, Any] = {}
    user = given.get("runAsUser")
    non_root = given.get("runAsNonRoot")
    if user is None and non_root is not False:
        user = DEFAULT_USER
    if user is not None:
        out["runAsUser"] = user
    out["runAsNonRoot"] = non_root if non_root is not None else user != 0
    return out


def security(spec: Mapping[str, Any]) -> Security:
    """The securityContext of a workload spec (repository defaults already applied)."""
    given: Mapping[str, Any] = spec.get("securityContext") or {}
    ids = identity(given)
    pod: dict[str, Any] = {"seccompProfile": {"type": "RuntimeDefault"}, **ids}
    container: dict[str, Any] = {**RESTRICTED_CONTAINER, **ids}
    for k, v in given.items():
        if k in ("runAsUser", "runAsNonRoot"):
            continue
        if k in POD_ONLY or k in BOTH:
            pod[k] = _sorted(v)
        if k not in POD_ONLY:
            container[k] = _sorted(v)
    caps = given.get("capabilities")
    if caps is not None:
        merged = {"drop": ["ALL"], **_sorted(caps)}
        container["capabilities"] = {k: merged[k] for k in sorted(merged) if merged[k]}
    if container.get("privileged") and "allowPrivilegeEscalation" not in given:
        container["allowPrivilegeEscalation"] = True  # the API rejects privileged without it
    return Security(dict(sorted(pod.items())), dict(sorted(container.items())))
