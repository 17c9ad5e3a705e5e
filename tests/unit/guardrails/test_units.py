"""Units of the guardrails: the Pod Security level of a rendered pod (the checks of
k8s.io/pod-security-admission/policy that the schema lets a workload fail), the
securityContext defaults, namespace matching and image prefixes."""

from __future__ import annotations

from typing import Any

import pytest

from i4qew.guardrails.build import build_guardrails
from i4qew.guardrails.model import DEFAULT, host_dir
from i4qew.guardrails.pss import Level, level
from i4qew.guardrails.security import security
from i4qew.load.documents import Document, SourceFile
from i4qew.rules.guard_images import allowed
from i4qew.rules.images import ImageRef, parse_image


def lvl(sc: dict[str, Any], volumes: tuple[str, ...] = ()) -> Level:
    return level(security({"securityContext": sc}), volumes)


@pytest.mark.parametrize(("sc", "volumes", "expected"), [
    ({}, (), Level.RESTRICTED),  # i4qew's defaults meet restricted
    ({}, ("hostPath",), Level.PRIVILEGED),  # hostPathVolumes is a baseline check
    ({"runAsUser": 0}, (), Level.BASELINE),
    ({"runAsNonRoot": False}, (), Level.BASELINE),  # the image's USER may be root
    ({"runAsUser": 1000, "runAsNonRoot": False}, (), Level.BASELINE),  # restricted wants runAsNonRoot: true
    ({"allowPrivilegeEscalation": True}, (), Level.BASELINE),
    ({"capabilities": {"add": ["NET_BIND_SERVICE"]}}, (), Level.RESTRICTED),
    ({"capabilities": {"add": ["CHOWN"]}}, (), Level.BASELINE),
    ({"capabilities": {"add": ["NET_RAW"]}}, (), Level.PRIVILEGED),  # not in the baseline set
    ({"capabilities": {"drop": ["NET_RAW"]}}, (), Level.BASELINE),  # restricted drops ALL
    ({"seccompProfile": {"type": "Unconfined"}}, (), Level.PRIVILEGED),
    ({"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}, (), Level.RESTRICTED),
    ({"privileged": True}, (), Level.PRIVILEGED),
])
def test_pod_security_level(sc: dict[str, Any], volumes: tuple[str, ...], expected: Level) -> None:
    assert lvl(sc, volumes) is expected


def test_identity_defaults() -> None:
    assert security({}).pod["runAsUser"] == 65532 and security({}).pod["runAsNonRoot"] is True
    root = security({"securityContext": {"runAsUser": 0}})
    assert root.pod["runAsNonRoot"] is False and root.may_run_as_root
    image = security({"securityContext": {"runAsNonRoot": False}})
    assert "runAsUser" not in image.pod and image.may_run_as_root
    assert not security({"securityContext": {"runAsUser": 7}}).may_run_as_root


def doc(text: str) -> Document:
    import yaml

    return Document(SourceFile("i4qew.yaml", text), 0, yaml.safe_load(text))


def test_first_matching_entry_wins_and_unmatched_namespaces_get_the_default() -> None:
    g = build_guardrails(doc(
        "spec:\n  guardrails:\n    namespaces:\n"
        "      - {match: [team-a, 'team-a-*'], podSecurity: baseline}\n"
        "      - {match: ['team-?'], podSecurity: privileged}\n"))
    assert g.for_namespace("team-a").index == 0
    assert g.for_namespace("team-a-batch").index == 0
    assert g.for_namespace("team-b").index == 1
    assert g.for_namespace("team-bc") is DEFAULT
    assert g.for_namespace("team-a").run_as_root == "allow"  # baseline allows root unless told
    assert build_guardrails(doc("spec:\n  guardrails:\n    namespaces: [{match: [x]}]\n")).entries[0].run_as_root == "refuse"
    assert DEFAULT.run_as_root == "warn" and DEFAULT.pod_security is Level.RESTRICTED
    assert g.model_roots == ("/var/lib/i4q/models",)


def test_folders_match_whole_path_components() -> None:
    g = build_guardrails(doc("spec:\n  guardrails:\n    namespaces: [{match: [a], folders: [./workloads/team-a/]}]\n"))
    entry = g.entries[0]
    assert entry.allows_folder("workloads/team-a/app.yaml")
    assert entry.allows_folder("workloads/team-a/sub/app.yaml")
    assert not entry.allows_folder("workloads/team-abc/app.yaml")
    assert not entry.allows_folder("workloads/app.yaml")


def test_host_dirs_resolve_like_the_kernel() -> None:
    assert host_dir("//srv/models//x/") == "/srv/models/x"
    assert host_dir("/var/lib/i4q/models/../../../../etc") == "/etc"


def image(ref: str) -> ImageRef:
    got = parse_image(ref)
    assert isinstance(got, ImageRef)
    return got


@pytest.mark.parametrize(("ref", "prefixes", "ok"), [
    ("registry.example.com/team-a/app:1", ("registry.example.com/team-a",), True),
    ("registry.example.com/team-a/app:1", ("registry.example.com/team-a/",), True),
    ("registry.example.com/team-abc/app:1", ("registry.example.com/team-a",), False),
    ("registry.example.com.evil.io/team-a/app:1", ("registry.example.com",), False),
    ("registry.example.com/x/y:1", ("registry.example.com",), True),
    ("nginx:1.27", ("docker.io/library",), True),
    ("nginx:1.27", ("docker.io/library/nginx",), True),
    ("index.docker.io/library/nginx:1.27", ("docker.io/library",), True),
    ("bitnami/redis:7", ("bitnami",), True),
    ("bitnami/redis:7", ("docker.io/library",), False),
    ("localhost:5000/app:1", ("localhost:5000",), True),
])
def test_registry_prefixes(ref: str, prefixes: tuple[str, ...], ok: bool) -> None:
    assert allowed(image(ref), prefixes) is ok
