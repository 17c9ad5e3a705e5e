"""The Pod Security Standards checks that can fail on what i4qew renders.

The schema gives a workload no host namespaces, host ports, sysctls, AppArmor,
SELinux or procMount fields, so of the standards' checks
(k8s.io/pod-security-admission/policy) only these can fail on a rendered pod:

    baseline    privileged, capabilities_baseline, seccompProfile_baseline,
                hostPathVolumes (the model volume of a hostPath Model)
    restricted  allowPrivilegeEscalation, runAsNonRoot, runAsUser,
                seccompProfile_restricted, capabilities_restricted,
                restrictedVolumes (hostPath again)

`level` is the highest level a pod meets: what a namespace holding it can
enforce with Pod Security Admission.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from i4qew.guardrails.security import Security


class Level(enum.IntEnum):
    """Pod Security Standards levels, most permissive first (higher is stricter)."""

    PRIVILEGED = 0
    BASELINE = 1
    RESTRICTED = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def of(cls, text: str) -> Level:
        return cls[text.upper()]


# check_capabilities_baseline.go: the capabilities a baseline container may add.
BASELINE_CAPABILITIES: Final = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})
RESTRICTED_CAPABILITIES: Final = frozenset({"NET_BIND_SERVICE"})


@dataclass(frozen=True, slots=True)
class Violation:
    """One failed check: the level it belongs to, the securityContext field
    (empty for a volume), the offending values, and why."""

    level: Level
    check: str
    field: str
    values: tuple[str, ...]
    why: str


def allowed_capabilities(level: Level) -> frozenset[str] | None:
    """What a container may add at `level` (None: anything)."""
    return {Level.RESTRICTED: RESTRICTED_CAPABILITIES, Level.BASELINE: BASELINE_CAPABILITIES}.get(level)


def _capabilities(sec: Security) -> Iterator[Violation]:
    caps = sec.container.get("capabilities") or {}
    added = tuple(str(c) for c in caps.get("add") or ())
    beyond_baseline = tuple(c for c in added if c not in BASELINE_CAPABILITIES)
    if beyond_baseline:
        yield Violation(Level.BASELINE, "capabilities_baseline", "capabilities.add", beyond_baseline,
                        "adds capabilities beyond the baseline set")
    beyond_restricted = tuple(c for c in added if c not in RESTRICTED_CAPABILITIES and c in BASELINE_CAPABILITIES)
    if beyond_restricted:
        yield Violation(Level.RESTRICTED, "capabilities_restricted", "capabilities.add", beyond_restricted,
                        "adds capabilities other than NET_BIND_SERVICE")
    if "ALL" not in (caps.get("drop") or ()):
        yield Violation(Level.RESTRICTED, "capabilities_restricted", "capabilities.drop", (),
                        "does not drop ALL capabilities")


def _seccomp(sec: Security) -> Iterator[Violation]:
    kind = (sec.get("seccompProfile") or {}).get("type")
    if kind == "Unconfined":
        yield Violation(Level.BASELINE, "seccompProfile_baseline", "seccompProfile.type", ("Unconfined",),
                        "runs without a seccomp profile")
    elif kind not in ("RuntimeDefault", "Localhost"):
        yield Violation(Level.RESTRICTED, "seccompProfile_restricted", "seccompProfile.type", (),
                        "sets no seccomp profile")


def violations(sec: Security, volumes: Iterable[str] = ()) -> list[Violation]:
    """Every check the pod fails; `volumes` are the pod's volume kinds (hostPath, configMap, ...)."""
    out: list[Violation] = []
    if sec.container.get("privileged") is True:
        out.append(Violation(Level.BASELINE, "privileged", "privileged", ("true",), "is privileged"))
    out.extend(_capabilities(sec))
    out.extend(_seccomp(sec))
    if "hostPath" in volumes:
        out.append(Violation(Level.BASELINE, "hostPathVolumes", "", ("hostPath",), "mounts a hostPath volume"))
    if sec.container.get("allowPrivilegeEscalation") is not False:
        out.append(Violation(Level.RESTRICTED, "allowPrivilegeEscalation", "allowPrivilegeEscalation", (),
                             "allows privilege escalation"))
    if sec.user == 0:
        out.append(Violation(Level.RESTRICTED, "runAsUser", "runAsUser", ("0",), "runs as root (runAsUser: 0)"))
    elif sec.get("runAsNonRoot") is not True:
        out.append(Violation(Level.RESTRICTED, "runAsNonRoot", "runAsNonRoot", (),
                             "may run as root (runAsNonRoot is not true)"))
    return out


def level(sec: Security, volumes: Iterable[str] = ()) -> Level:
    """The highest Pod Security Standards level the pod meets."""
    failed = {v.level for v in violations(sec, volumes)}
    if Level.BASELINE in failed:
        return Level.PRIVILEGED
    if Level.RESTRICTED in failed:
        return Level.BASELINE
    return Level.RESTRICTED
