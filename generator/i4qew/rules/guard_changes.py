"""Guardrail changes as problem lines for `plan --base` (rule `guardrail-changed`):
a warning where a merge request loosens what a namespace may run with, info
where it tightens it or touches spec.guardrails without effect on a namespace
in use. The plan note puts them first."""

from __future__ import annotations

from i4qew.guardrails.diff import Change, changes
from i4qew.guardrails.model import GUARDRAILS_PATH
from i4qew.model.repo import Repo
from i4qew.problems import Problem, Severity, error

RULE = "guardrail-changed"
APPROVAL = "i4qew.yaml is the platform team's to approve (CODEOWNERS)"


def _problem(head: Repo, path: tuple[str | int, ...], severity: Severity, message: str) -> Problem:
    doc = head.repository.doc
    if doc is None:
        p = error("i4qew.yaml", 1, 1, RULE, message)
        return Problem(p.path, p.line, p.column, severity, RULE, message)
    # a whole section: its key; an entry of namespaces: the entry
    return doc.problem(path, RULE, message, severity, key=isinstance(path[-1], str))


def _message(c: Change, base_label: str) -> tuple[Severity, str]:
    who = f"the guardrail of namespace '{c.namespace}' is" if c.namespace else "the repository-wide guardrails are"
    if c.looser:
        text = f"{who} loosened against {base_label}: {'; '.join(c.looser)}"
        if c.stricter:
            text += f" (tightened: {'; '.join(c.stricter)})"
        return Severity.WARNING, f"{text}; {APPROVAL}"
    return Severity.INFO, f"{who} tightened against {base_label}: {'; '.join(c.stricter)}"


def change_problems(base: Repo, head: Repo, base_label: str) -> list[Problem]:
    namespaces = {w.namespace for w in (*base.workloads, *head.workloads)}
    b, h = base.repository, head.repository
    found = changes(b.guardrails, h.guardrails, namespaces, b.pod_security_labels, h.pod_security_labels)
    out = []
    for c in found:
        entry = c.head.index if c.head is not None else None
        path: tuple[str | int, ...] = GUARDRAILS_PATH
        if entry is not None:
            path = (*GUARDRAILS_PATH, "namespaces", entry)
        elif c.namespace is None and all(t.startswith("governance.") for t in (*c.looser, *c.stricter)):
            path = ("spec", "governance")
        severity, message = _message(c, base_label)
        out.append(_problem(head, path, severity, message))
    raw = [(r.doc.data["spec"].get("guardrails") if r.doc else None) for r in (b, h)]
    if not found and raw[0] != raw[1]:
        out.append(_problem(head, GUARDRAILS_PATH, Severity.INFO,
                            f"spec.guardrails changed against {base_label} without changing what a namespace in use "
                            f"may run with; {APPROVAL}"))
    return out
