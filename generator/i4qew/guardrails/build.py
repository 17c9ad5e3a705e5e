"""Schema-valid `spec.guardrails` of i4qew.yaml → `Guardrails`.

Tolerant by design: a value the `guardrail-config` rule refuses (a quantity
that does not parse, a relative host path) is left out here, and validation
stops every command before such guardrails are used for anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from i4qew.guardrails.model import DEFAULT_MODEL_ROOTS, Guardrails, entry, host_dir
from i4qew.k8s.quantity import QuantityError, parse_quantity
from i4qew.load.documents import Document


def _quantities(spec: Mapping[str, Any]) -> dict[str, dict[str, Fraction]]:
    out: dict[str, dict[str, Fraction]] = {}
    for section, values in (spec.get("maxResources") or {}).items():
        for name, value in (values or {}).items():
            try:
                out.setdefault(section, {})[name] = parse_quantity(value)
            except QuantityError:
                continue
    return out


def build_guardrails(doc: Document | None) -> Guardrails:
    spec: Mapping[str, Any] = (doc.data["spec"].get("guardrails") or {}) if doc is not None else {}
    entries = tuple(entry(i, e, _quantities(e), doc) for i, e in enumerate(spec.get("namespaces") or ()))
    roots = tuple(host_dir(r) for r in spec.get("modelRoots") or () if r.startswith("/"))
    return Guardrails(entries, roots or DEFAULT_MODEL_ROOTS, "modelRoots" in spec, doc)
