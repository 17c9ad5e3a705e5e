"""Resources: names Kubernetes knows, quantities that parse, requests within limits,
whole devices for GPUs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from i4qew import memo
from i4qew.k8s.quantity import QuantityError, parse_quantity
from i4qew.model.repo import Repo
from i4qew.problems import Problem, Severity
from i4qew.rules.registry import local, rule
from i4qew.rules.walk import Finding, judge_field
from i4qew.text import did_you_mean, shorten

STANDARD = ("cpu", "memory", "ephemeral-storage")
_HUGEPAGES = re.compile(r"hugepages-[0-9]+(?:Ki|Mi|Gi|Ti|Pi|Ei|[kMGTPE])?")
SUGGESTIONS = (*STANDARD, "nvidia.com/gpu")
SECTIONS = ("requests", "limits")


def is_extended(name: str) -> bool:
    """A device plugin's resource (nvidia.com/gpu): whole units, never overcommitted."""
    if "/" not in name:
        return False
    domain = name.split("/", 1)[0]
    return not (domain == "kubernetes.io" or domain.endswith(".kubernetes.io"))


def _entries(res: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(section, resource name, raw value) of one resources map, sorted by name in each section."""
    for section in SECTIONS:
        for name, value in sorted((res.get(section) or {}).items()):
            yield section, name, value


@memo.lru(4096, typed=True)
def quantity(value: str | int | float) -> Fraction | str:
    """The parsed quantity, or why it is none. Cached: a fleet repeats a few
    dozen values (100m, 128Mi, ...) thousands of times, in three rules."""
    try:
        return parse_quantity(value)
    except QuantityError as exc:
        return exc.reason


def _parsed(res: dict[str, Any], section: str) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    for name, value in (res.get(section) or {}).items():
        q = quantity(value)
        if isinstance(q, Fraction):
            out[name] = q  # an invalid one is reported by resource-quantity
    return out


@local
@rule(
    "resource-name",
    "resource names are cpu, memory, ephemeral-storage, hugepages-<size> or a vendor resource such as nvidia.com/gpu",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    limits: {memory: 1Gi, nvidia.com/gpu: 1}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    limits: {memory: 1Gi, gpu: 1}   # did you mean 'nvidia.com/gpu'?"
    ),
)
def check_names(repo: Repo) -> Iterator[Problem]:
    return judge_field(repo, "resources", "resource-name", _name_findings)


def _name_findings(res: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    for section, name, _ in _entries(res):
        if "/" in name or name in STANDARD or _HUGEPAGES.fullmatch(name):
            continue
        hint = " (did you mean 'nvidia.com/gpu'?)" if "gpu" in name.lower() else did_you_mean(name, SUGGESTIONS)
        out.append(((section, name), f"unknown resource {name!r} in {section}{hint}; a vendor resource needs its "
                    "domain, e.g. nvidia.com/gpu", Severity.ERROR, True))
    return out


@local
@rule(
    "resource-quantity",
    "requests and limits are Kubernetes quantities (250m, 1.5, 512Mi); cpu and memory are greater than 0 and "
    "memory is whole bytes",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    requests: {cpu: 250m, memory: 512Mi}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    requests: {cpu: 250 m, memory: 512m}   # a space; 512m is 0.512 bytes"
    ),
)
def check_quantities(repo: Repo) -> Iterator[Problem]:
    return judge_field(repo, "resources", "resource-quantity", _quantity_findings)


def _quantity_findings(res: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    for section, name, value in _entries(res):
        at = (section, name)
        q = quantity(value)
        if isinstance(q, str):
            shown = repr(shorten(value)) if isinstance(value, str) else repr(value)
            out.append((at, f"{section}.{name}: {shown} is not a quantity: {q}", Severity.ERROR, False))
            continue
        if name in ("cpu", "memory") and q <= 0:
            instead = "to request none" if section == "requests" else "for no limit"
            out.append((at, f"{section}.{name} must be greater than 0; leave it out {instead}", Severity.ERROR, False))
        elif name == "memory" and q.denominator != 1:
            hint = f"; did you mean {value[:-1]}Mi?" if isinstance(value, str) and value.endswith("m") else ""
            out.append((at, f"{section}.memory {value!r} is a fraction of a byte ('m' means milli){hint}",
                        Severity.ERROR, False))
    return out


@local
@rule(
    "resource-limits",
    "a request is at most its limit, for every resource given in both",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    requests: {cpu: 250m}\n"
        "    limits: {cpu: '1'}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    requests: {cpu: '2'}\n"
        "    limits: {cpu: '1'}"
    ),
)
def check_limits(repo: Repo) -> Iterator[Problem]:
    return judge_field(repo, "resources", "resource-limits", _limit_findings)


def _limit_findings(res: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    requests, limits = _parsed(res, "requests"), _parsed(res, "limits")
    for name in sorted(requests.keys() & limits.keys()):
        if requests[name] > limits[name] and not is_extended(name):
            out.append((("requests", name), f"requests.{name} {res['requests'][name]!r} exceeds limits.{name} "
                        f"{res['limits'][name]!r}; Kubernetes rejects the pod", Severity.ERROR, False))
    return out


@local
@rule(
    "extended-resource",
    "nvidia.com/gpu and other vendor resources are whole numbers, set in limits, and equal in requests "
    "when given there too",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    requests: {nvidia.com/gpu: 1}\n"
        "    limits: {nvidia.com/gpu: 1}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  resources:\n"
        "    requests: {nvidia.com/gpu: 0.5}   # and no limit"
    ),
)
def check_extended(repo: Repo) -> Iterator[Problem]:
    return judge_field(repo, "resources", "extended-resource", _extended_findings)


def _extended_findings(res: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    requests, limits = _parsed(res, "requests"), _parsed(res, "limits")
    whole_ok: set[tuple[str, str]] = set()
    for section, values in (("requests", requests), ("limits", limits)):
        for name, q in sorted(values.items()):
            if not is_extended(name):
                continue
            if q.denominator != 1:
                out.append(((section, name), f"{section}.{name} must be a whole number of devices, not "
                            f"{res[section][name]!r}", Severity.ERROR, False))
            else:
                whole_ok.add((section, name))
    for name in sorted(n for n in requests if is_extended(n)):
        if name not in limits:
            out.append((("requests", name), f"requests.{name} needs limits.{name} too: vendor resources are never "
                        "overcommitted (set the limit; the request defaults to it)", Severity.ERROR, False))
        elif requests[name] != limits[name] and ("requests", name) in whole_ok and ("limits", name) in whole_ok:
            out.append((("requests", name), f"requests.{name} must equal limits.{name} "
                        f"({res['requests'][name]!r} vs {res['limits'][name]!r})", Severity.ERROR, False))
    return out
