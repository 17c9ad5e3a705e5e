"""What a change to i4qew.yaml does to the guardrails (`plan --base`): per namespace
the repository's workloads use, which settings became looser or stricter.

A merge request that moves a line the platform team drew must say so where the
reviewer looks (the plan note), whatever else it changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from i4qew.guardrails.model import Guardrail, Guardrails

_ROOT_ORDER = {"refuse": 0, "warn": 1, "allow": 2}


def _cut(text: str, limit: int = 160) -> str:
    """One line of a note stays readable: a long list of values is cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Change:
    namespace: str | None  # None: repository-wide (model roots, governance)
    looser: tuple[str, ...]
    stricter: tuple[str, ...]
    head: Guardrail | None  # the namespace's guardrail now


def _set_change(name: str, base: Iterable[str] | None, head: Iterable[str] | None,
                looser: list[str], stricter: list[str], any_text: str = "any") -> None:
    """A list where more entries grant more (None = no restriction at all)."""
    if base is None and head is None:
        return
    if head is None:
        looser.append(_cut(f"{name} {', '.join(sorted(base or ()))} -> {any_text}"))
        return
    if base is None:
        stricter.append(_cut(f"{name} {any_text} -> {', '.join(sorted(head))}"))
        return
    added, removed = sorted(set(head) - set(base)), sorted(set(base) - set(head))
    if added:
        looser.append(_cut(f"{name} +{', '.join(added)}"))
    if removed:
        stricter.append(_cut(f"{name} -{', '.join(removed)}"))


def _caps(name: str, base: Mapping[str, Fraction], head: Mapping[str, Fraction],
          looser: list[str], stricter: list[str]) -> None:
    for key in sorted({*base, *head}):
        b, h = base.get(key), head.get(key)
        if b == h:
            continue
        text = f"{name}.{key} {b if b is not None else 'none'} -> {h if h is not None else 'none'}"
        (looser if h is None or (b is not None and h > b) else stricter).append(text)


def compare(base: Guardrail, head: Guardrail) -> tuple[list[str], list[str]]:
    """(looser, stricter) settings of one namespace's guardrail."""
    looser: list[str] = []
    stricter: list[str] = []
    if base.pod_security != head.pod_security:
        text = f"podSecurity {base.pod_security.label} -> {head.pod_security.label}"
        (looser if head.pod_security < base.pod_security else stricter).append(text)
    if base.run_as_root != head.run_as_root:
        text = f"runAsRoot {base.run_as_root} -> {head.run_as_root}"
        (looser if _ROOT_ORDER[head.run_as_root] > _ROOT_ORDER[base.run_as_root] else stricter).append(text)
    _set_change("capabilities", base.capabilities, head.capabilities, looser, stricter)
    _set_change("folders", base.folders, head.folders, looser, stricter, "any folder")
    _set_change("registries", base.registries, head.registries, looser, stricter, "any registry")
    _set_change("hostPaths", base.host_paths, head.host_paths, looser, stricter)
    dropped, added = sorted(base.digest_in - head.digest_in), sorted(head.digest_in - base.digest_in)
    if dropped:  # fewer environments that need digests is looser
        looser.append(f"digestIn -{', '.join(dropped)}")
    if added:
        stricter.append(f"digestIn +{', '.join(added)}")
    _caps("maxResources.requests", base.max_requests, head.max_requests, looser, stricter)
    _caps("maxResources.limits", base.max_limits, head.max_limits, looser, stricter)
    if base.max_gpus != head.max_gpus:
        text = f"maxGPUs {base.max_gpus if base.max_gpus is not None else 'any'} -> " \
               f"{head.max_gpus if head.max_gpus is not None else 'any'}"
        (looser if head.max_gpus is None or (base.max_gpus is not None and head.max_gpus > base.max_gpus)
         else stricter).append(text)
    return looser, stricter


def changes(base: Guardrails, head: Guardrails, namespaces: Iterable[str],
            base_labels: bool = True, head_labels: bool = True) -> list[Change]:
    """Per namespace (sorted), then repository-wide; only what differs. `*_labels` are
    spec.governance.podSecurityLabels (the edge's own enforcement)."""
    out: list[Change] = []
    for ns in sorted(set(namespaces)):
        looser, stricter = compare(base.for_namespace(ns), head.for_namespace(ns))
        if looser or stricter:
            out.append(Change(ns, tuple(looser), tuple(stricter), head.for_namespace(ns)))
    looser, stricter = [], []
    _set_change("modelRoots", base.model_roots, head.model_roots, looser, stricter)
    if base_labels != head_labels:
        (looser if base_labels else stricter).append(
            f"governance.podSecurityLabels {str(base_labels).lower()} -> {str(head_labels).lower()}")
    if looser or stricter:
        out.append(Change(None, tuple(looser), tuple(stricter), None))
    return out
