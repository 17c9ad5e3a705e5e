"""Guardrails on what a workload runs with (i4qew.yaml `spec.guardrails`):
pod security, running as root, and who may deploy into a namespace.

Every refusal names the guardrail (its entry and line in i4qew.yaml, or the
built-in default) and what the platform team would change to grant it. What
is judged is the securityContext the chart renders (guardrails/security.py),
defaults included.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from i4qew.guardrails.model import Guardrail
from i4qew.guardrails.pss import Level, Violation, violations
from i4qew.guardrails.security import DEFAULT_USER, Security, security
from i4qew.k8s.names import dns1123_label
from i4qew.load.documents import Document
from i4qew.model.repo import Repo, Workload
from i4qew.problems import Problem, Severity
from i4qew.rules.examples import guardrail
from i4qew.rules.registry import local, rule
from i4qew.rules.walk import KeyPath, once
from i4qew.text import shorten

# Checked by rules of their own: the model's hostPath by host-path, root by run-as-root.
_ELSEWHERE = frozenset({"hostPathVolumes", "runAsNonRoot", "runAsUser"})


def judged(repo: Repo) -> Iterator[Workload]:
    """The workloads the guardrails judge: those with a valid namespace (name-format
    answers for the others; a guardrail message never quotes a broken one). Each
    namespace is checked once: seven rules ask this of 10,000 workloads in a few dozen."""
    valid: dict[str, bool] = {}
    for w in repo.workloads:
        ok = valid.get(w.namespace)
        if ok is None:
            ok = valid[w.namespace] = dns1123_label(w.namespace) is None
        if ok:
            yield w


def sc_path(w: Workload, *field: str | int) -> tuple[KeyPath, str]:
    """Where a securityContext field is written, and a note when it comes from
    the repository defaults (the workload then has no securityContext of its own)."""
    if "securityContext" in w.doc.data["spec"]:
        return ("spec", "securityContext", *field), ""
    if "securityContext" in w.spec:
        return ("spec",), " (securityContext from spec.defaults of i4qew.yaml)"
    return ("spec",), ""


def _given(w: Workload) -> Mapping[str, Any]:
    return w.spec.get("securityContext") or {}


def _security_problem(w: Workload, g: Guardrail, v: Violation) -> Problem | None:
    ns, level = w.namespace, g.pod_security.label
    cite = g.cite(ns)
    if v.check == "privileged":
        path, note = sc_path(w, "privileged")
        return w.doc.problem(path, "pod-security", f"privileged: true{note} is not allowed in namespace '{ns}' by "
                             f"{cite} (podSecurity: {level}); to grant it, {g.grant(ns, 'podSecurity: privileged')}")
    if v.check == "allowPrivilegeEscalation":
        if "allowPrivilegeEscalation" not in _given(w):
            return None  # implied by privileged: true, reported there
        path, note = sc_path(w, "allowPrivilegeEscalation")
        return w.doc.problem(path, "pod-security", f"allowPrivilegeEscalation: true{note} is not allowed in namespace "
                             f"'{ns}' by {cite} (podSecurity: {level}); to grant it, {g.grant(ns, 'podSecurity: baseline')}")
    if v.check.startswith("seccompProfile"):
        path, note = sc_path(w, "seccompProfile", "type")
        return w.doc.problem(path, "pod-security", f"seccompProfile type Unconfined{note} is not allowed in namespace "
                             f"'{ns}' by {cite} (podSecurity: {level}); to grant it, {g.grant(ns, 'podSecurity: privileged')}")
    if v.field == "capabilities.drop":
        path, note = sc_path(w, "capabilities", "drop")
        return w.doc.problem(path, "pod-security", f"capabilities.drop{note} must include ALL in namespace '{ns}' "
                             f"({cite}: podSecurity {level}); drop ALL, or {g.grant(ns, 'podSecurity: baseline')}")
    return None


def _capability_problems(w: Workload, g: Guardrail) -> Iterator[Problem]:
    allowed = g.allowed_capabilities()
    if allowed is None:
        return
    added = list((_given(w).get("capabilities") or {}).get("add") or ())
    for i, cap in enumerate(added):
        if cap in allowed:
            continue
        ns = w.namespace
        granted = sorted(g.capabilities)
        shown = ("the baseline set" if g.pod_security is Level.BASELINE else "NET_BIND_SERVICE") + \
            "".join(f", {c}" for c in granted)
        path, note = sc_path(w, "capabilities", "add", i)
        yield w.doc.problem(path, "pod-security",
                            f"capability {shorten(str(cap), 40)}{note} is not allowed in namespace '{ns}' by "
                            f"{g.cite(ns)} (podSecurity: {g.pod_security.label} allows adding {shown}); "
                            f"to grant it, {g.grant(ns, f'capabilities: [{shorten(str(cap), 40)}]')}")


@local
@rule(
    "pod-security",
    "a workload's securityContext stays within its namespace's guardrail (podSecurity level, granted "
    "capabilities): no privileged container, privilege escalation, Unconfined seccomp or added capability "
    "beyond what i4qew.yaml grants",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  securityContext: {privileged: true}   # the built-in guardrail: podSecurity restricted"
    ),
)
def check_pod_security(repo: Repo) -> Iterator[Problem]:
    guardrails = repo.repository.guardrails
    memo: dict[str, list[Violation]] = {}
    for w in judged(repo):
        g = guardrails.for_namespace(w.namespace)
        if g.pod_security is Level.PRIVILEGED:
            continue
        for v in once(memo, w.spec.get("securityContext"), _violations):
            if g.pod_security < v.level or v.check in _ELSEWHERE or v.field == "capabilities.add":
                continue  # allowed at this level, judged elsewhere, or by _capability_problems
            found = _security_problem(w, g, v)
            if found is not None:
                yield found
        yield from _capability_problems(w, g)


def _security(given: Any) -> Security:
    """The securityContext rendered for a workload whose spec.securityContext (defaults
    applied) is `given`: `security` reads nothing else of the spec."""
    return security({"securityContext": given})


def _violations(given: Any) -> list[Violation]:
    return violations(_security(given))


def root_reason(sec: Security) -> str:
    if sec.user == 0:
        return "runs as root (runAsUser: 0)"
    return "may run as root (runAsNonRoot: false and no runAsUser: the image's USER decides, root for most AI images)"


@local
@rule(
    "run-as-root",
    "a workload that runs (or may run) as root is refused, warned about or allowed as its namespace's "
    "guardrail says (runAsRoot; the built-in default warns)",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  securityContext: {runAsUser: 1000}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  securityContext: {runAsUser: 0}   # the built-in guardrail refuses root under restricted"
    ),
)
def check_root(repo: Repo) -> Iterator[Problem]:
    guardrails = repo.repository.guardrails
    memo: dict[str, Security] = {}
    for w in judged(repo):
        g = guardrails.for_namespace(w.namespace)
        sec = once(memo, w.spec.get("securityContext"), _security)
        if g.run_as_root == "allow" or not sec.may_run_as_root or sec.get("runAsNonRoot") is True:
            continue  # runAsNonRoot with user 0 cannot start at all: non-root-user
        given = _given(w)
        path, note = sc_path(w, "runAsUser" if "runAsUser" in given else "runAsNonRoot")
        ns = w.namespace
        if g.run_as_root == "refuse":
            yield w.doc.problem(path, "run-as-root",
                                f"{root_reason(sec)}{note}, which {g.cite(ns)} refuses in namespace '{ns}' "
                                f"(runAsRoot: refuse); run as a numeric non-root user (without runAsUser and "
                                f"runAsNonRoot i4qew runs the image as {DEFAULT_USER}) or "
                                f"{g.grant(ns, 'runAsRoot: warn')}")
        else:
            yield w.doc.problem(path, "run-as-root",
                                f"{root_reason(sec)}{note}: a container escape would be root on the node; "
                                f"prefer a numeric non-root user where the image allows it; {g.cite(ns)} warns about "
                                f"it (runAsRoot: warn), the platform team can set runAsRoot: allow", Severity.WARNING)


def _identity_places(repo: Repo) -> Iterator[tuple[Document, KeyPath, Mapping[str, Any]]]:
    doc = repo.repository.doc
    if doc is not None:
        sc = (doc.data["spec"].get("defaults") or {}).get("securityContext")
        if sc:
            yield doc, ("spec", "defaults", "securityContext"), sc
    for w in repo.workloads:
        own = w.doc.data["spec"].get("securityContext")
        if own:
            yield w.doc, ("spec", "securityContext"), own


@local
@rule(
    "non-root-user",
    "runAsNonRoot: true never with runAsUser: 0 — the kubelet refuses to start such a container",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  securityContext: {runAsNonRoot: true, runAsUser: 1000}"
    ),
    failing=(
        guardrail("{match: [plant], podSecurity: baseline, runAsRoot: allow}   # root is allowed here") +
        "# workloads/app.yaml\n"
        "spec:\n"
        "  securityContext: {runAsNonRoot: true, runAsUser: 0}"
    ),
)
def check_non_root_user(repo: Repo) -> Iterator[Problem]:
    for doc, path, sc in _identity_places(repo):
        if sc.get("runAsNonRoot") is True and sc.get("runAsUser") == 0:
            yield doc.problem((*path, "runAsUser"), "non-root-user",
                              "runAsNonRoot: true with runAsUser: 0 cannot start: the kubelet refuses it "
                              "(\"container's runAsUser breaks non-root policy\"); run as a non-root user (leave "
                              f"runAsUser out for i4qew's default {DEFAULT_USER}; the image must then work as an "
                              "arbitrary user) or as root (runAsNonRoot: false, judged by the run-as-root guardrail)")


@local
@rule(
    "namespace-owner",
    "a workload is declared in a folder its namespace's guardrail admits (folders), so one team's folder "
    "cannot deploy into another team's namespace",
    passing=(
        guardrail("{match: [plant], folders: [workloads/plant]}") +
        "# workloads/app.yaml (removed)\n"
        "# workloads/plant/app.yaml\n"
        "apiVersion: edge.i4q.eu/v1alpha1\n"
        "kind: Workload\n"
        "metadata: {name: app, namespace: plant}\n"
        "spec: {image: registry.example.com/plant/app:1.0.0, placement: edge}"
    ),
    failing=(
        guardrail("{match: [plant], folders: [workloads/plant]}") +
        "# workloads/app.yaml\n"
        "metadata: {name: app, namespace: plant}   # not in workloads/plant/"
    ),
)
def check_owner(repo: Repo) -> Iterator[Problem]:
    guardrails = repo.repository.guardrails
    for w in judged(repo):
        g = guardrails.for_namespace(w.namespace)
        if g.allows_folder(w.doc.path):
            continue
        folders = f"only from {', '.join(g.folders)}" if g.folders else "from no folder"
        here = w.doc.path.rsplit("/", 1)[0] if "/" in w.doc.path else "."
        meta = w.doc.data["metadata"]
        path: KeyPath = ("metadata", "namespace") if "namespace" in meta else ("metadata",)
        yield w.doc.problem(path, "namespace-owner",
                            f"a workload in {here}/ may not deploy into namespace '{w.namespace}': {g.cite(w.namespace)} "
                            f"admits workloads {folders}; move it there or "
                            f"{g.grant(w.namespace, f'folders: [..., {here}]')}")
