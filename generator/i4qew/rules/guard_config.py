"""The guardrails themselves (i4qew.yaml `spec.guardrails`): values the schema
cannot judge, refused before any workload is judged by them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from i4qew.load.documents import Document
from i4qew.model.repo import Repo
from i4qew.problems import Problem
from i4qew.rules.examples import guardrail
from i4qew.rules.mounts import absolute_path_problem
from i4qew.rules.registry import describe, rule
from i4qew.rules.resources import quantity
from i4qew.rules.walk import KeyPath
from i4qew.text import did_you_mean, shorten

_PATTERN = re.compile(r"[a-z0-9*?](?:[-a-z0-9*?]*[a-z0-9*?])?")
_CAPABILITY = re.compile(r"[A-Z][A-Z0-9_]*")


def _entry(doc: Document, i: int, e: Mapping[str, Any], envs: list[str]) -> Iterator[Problem]:
    at: KeyPath = ("spec", "guardrails", "namespaces", i)
    for j, pattern in enumerate(e.get("match") or ()):
        if not _PATTERN.fullmatch(pattern) or len(pattern) > 63:
            yield doc.problem((*at, "match", j), "guardrail-config",
                              f"match {shorten(pattern)!r} is not a namespace name or pattern: lower-case letters, "
                              "digits, '-', and the wildcards '*' and '?', at most 63 characters")
    for j, folder in enumerate(e.get("folders") or ()):
        parts = PurePosixPath(folder.replace("\\", "/")).parts
        if folder.startswith("/") or ".." in parts:
            yield doc.problem((*at, "folders", j), "guardrail-config",
                              f"folder {shorten(folder)!r} must be a path inside the repository, relative to its root, "
                              "without '..'")
    for j, prefix in enumerate(e.get("registries") or ()):
        if "://" in prefix or any(ch.isspace() for ch in prefix) or not prefix.strip("/"):
            yield doc.problem((*at, "registries", j), "guardrail-config",
                              f"registry {shorten(prefix)!r} must be an image prefix such as registry.example.com/team-a "
                              "(no scheme, no spaces)")
    for j, env in enumerate(e.get("digestIn") or ()):
        if env not in envs:
            yield doc.problem((*at, "digestIn", j), "guardrail-config",
                              f"digestIn names no environment of i4qew.yaml: {shorten(env)!r}{did_you_mean(env, envs)}")
    for section, values in sorted((e.get("maxResources") or {}).items()):
        for name, value in sorted((values or {}).items()):
            q = quantity(value)
            if isinstance(q, str):
                yield doc.problem((*at, "maxResources", section, name), "guardrail-config",
                                  f"maxResources.{section}.{name}: {shorten(str(value))!r} is not a quantity: {q}")
    for j, cap in enumerate(e.get("capabilities") or ()):
        if not _CAPABILITY.fullmatch(cap) or cap.startswith("CAP_"):
            yield doc.problem((*at, "capabilities", j), "guardrail-config",
                              f"capability {shorten(cap)!r} must be written as Kubernetes compares it: upper case, "
                              "without CAP_ (e.g. SYS_PTRACE)")
    for j, path in enumerate(e.get("hostPaths") or ()):
        why = absolute_path_problem(path)
        if why:
            yield doc.problem((*at, "hostPaths", j), "guardrail-config", f"host path {shorten(path)!r} {why}")


@rule(
    "guardrail-config",
    "spec.guardrails of i4qew.yaml is usable: namespace patterns, folders inside the repository, image "
    "prefixes, known environments in digestIn, quantities, capability names and absolute host paths",
    passing=(
        guardrail("{match: ['plant-*'], folders: [workloads/plant], digestIn: [production]}")
    ),
    failing=(
        guardrail("{match: ['Plant A'], folders: [../plant], digestIn: [prod]}")
    ),
)
def check_config(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None:
        return
    spec = doc.data["spec"].get("guardrails") or {}
    envs = [e.name for e in repo.repository.environments]
    for j, root in enumerate(spec.get("modelRoots") or ()):
        why = absolute_path_problem(root)
        if why:
            yield doc.problem(("spec", "guardrails", "modelRoots", j), "guardrail-config",
                              f"model root {shorten(root)!r} {why}")
    for i, e in enumerate(spec.get("namespaces") or ()):
        yield from _entry(doc, i, e, envs)


describe("guardrail-changed", "`plan --base` calls out a change to spec.guardrails of i4qew.yaml (or "
         "governance.podSecurityLabels) for each namespace in use: a warning where it loosens what the namespace "
         "may run with, info where it tightens it", stage="plan",
         passing=(
             guardrail("{match: [plant], podSecurity: restricted}   # as at the merge request's base") +
             guardrail("{match: [plant], podSecurity: restricted}", path="base/i4qew.yaml")
         ),
         failing=(
             guardrail("{match: [plant], podSecurity: privileged}") +
             guardrail("{match: [plant], podSecurity: restricted}   # the plan note says it was loosened", path="base/i4qew.yaml")
         ))
