"""The guardrails of i4qew.yaml (`spec.guardrails`) as typed values.

A workload's guardrail is the first `namespaces` entry whose `match` matches
its namespace; a namespace no entry matches gets the built-in default. Fields
an entry leaves out take the default's value, except `runAsRoot`, whose
default follows the entry's podSecurity (refuse under restricted).

The built-in default (docs/guardrails.md) is safe without configuration:
restricted pod security (no privileged container, no privilege escalation, no
capability added but NET_BIND_SERVICE; the schema has no host namespaces at
all), host paths only under the model roots, and running as root possible
with a warning (many AI images need it).
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final

from i4qew.guardrails.pss import Level, allowed_capabilities
from i4qew.load.documents import Document

DEFAULT_MODEL_ROOTS: Final = ("/var/lib/i4q/models",)
ROOT_MODES: Final = ("refuse", "warn", "allow")
GUARDRAILS_PATH: Final = ("spec", "guardrails")


@dataclass(frozen=True)
class Guardrail:
    """What the workloads of the namespaces an entry matches may run with."""

    index: int | None  # position in spec.guardrails.namespaces; None: the built-in default
    match: tuple[str, ...] = ()
    folders: tuple[str, ...] | None = None  # None: any folder
    pod_security: Level = Level.RESTRICTED
    run_as_root: str = "warn"
    capabilities: frozenset[str] = frozenset()
    registries: tuple[str, ...] | None = None  # None: any registry
    digest_in: frozenset[str] = frozenset()
    max_requests: Mapping[str, Fraction] = field(default_factory=dict)
    max_limits: Mapping[str, Fraction] = field(default_factory=dict)
    max_gpus: int | None = None
    host_paths: tuple[str, ...] = ()
    doc: Document | None = None

    @property
    def path(self) -> tuple[str | int, ...]:
        return (*GUARDRAILS_PATH, "namespaces", self.index) if self.index is not None else GUARDRAILS_PATH

    def line(self) -> int | None:
        """The line of the entry in i4qew.yaml (None for the built-in default)."""
        if self.index is None or self.doc is None:
            return None
        return self.doc.at(self.path)[0]

    def cite(self, namespace: str) -> str:
        """How a message names this guardrail, e.g. "guardrail namespaces[0] (i4qew.yaml:14)"."""
        if self.index is None:
            return "the default guardrail (no spec.guardrails entry of i4qew.yaml matches)"
        return f"guardrail namespaces[{self.index}] (i4qew.yaml:{self.line()})"

    def grant(self, namespace: str, what: str) -> str:
        """How to ask for more: who changes what in i4qew.yaml."""
        if self.index is None:
            return f"the platform team adds a spec.guardrails.namespaces entry for '{namespace}' with {what} to i4qew.yaml"
        return f"the platform team sets {what} in namespaces[{self.index}] of i4qew.yaml"

    def allowed_capabilities(self) -> frozenset[str] | None:
        base = allowed_capabilities(self.pod_security)
        return None if base is None else base | self.capabilities

    def allows_folder(self, path: str) -> bool:
        return self.folders is None or any(path.startswith(f + "/") for f in self.folders)


DEFAULT: Final = Guardrail(None)


@dataclass(frozen=True)
class Guardrails:
    entries: tuple[Guardrail, ...] = ()
    model_roots: tuple[str, ...] = DEFAULT_MODEL_ROOTS
    model_roots_given: bool = False
    doc: Document | None = None

    def for_namespace(self, namespace: str) -> Guardrail:
        for g in self.entries:
            if any(fnmatch.fnmatchcase(namespace, pattern) for pattern in g.match):
                return g
        return DEFAULT

    def model_roots_cite(self) -> str:
        if not self.model_roots_given or self.doc is None:
            return "the default"
        return f"spec.guardrails.modelRoots, i4qew.yaml:{self.doc.at((*GUARDRAILS_PATH, 'modelRoots'))[0]}"


def folder(text: str) -> str:
    """A folder as written (`workloads/team-a/`, `./workloads/team-a`) in one form."""
    parts = [p for p in text.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def host_dir(text: str) -> str:
    """A host directory as the kernel resolves it: no trailing or doubled slashes, no '.' or '..'."""
    return posixpath.normpath("/" + text).replace("//", "/")


def entry(index: int, spec: Mapping[str, Any], quantities: Mapping[str, Mapping[str, Fraction]],
          doc: Document | None) -> Guardrail:
    level = Level.of(spec.get("podSecurity", "restricted"))
    folders = spec.get("folders")
    registries = spec.get("registries")
    return Guardrail(
        index=index,
        match=tuple(spec["match"]),
        folders=None if folders is None else tuple(folder(f) for f in folders),
        pod_security=level,
        run_as_root=spec.get("runAsRoot", "refuse" if level is Level.RESTRICTED else "allow"),
        capabilities=frozenset(spec.get("capabilities") or ()),
        registries=None if registries is None else tuple(r.rstrip("/") for r in registries),
        digest_in=frozenset(spec.get("digestIn") or ()),
        max_requests=dict(quantities.get("requests", {})),
        max_limits=dict(quantities.get("limits", {})),
        max_gpus=spec.get("maxGPUs"),
        host_paths=tuple(host_dir(p) for p in spec.get("hostPaths") or () if p.startswith("/")),
        doc=doc,
    )
