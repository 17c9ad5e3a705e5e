"""Delivery: what the hub compiler can express, checked at validation time so an MR
learns about it before a publish does."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from i4qew.model.repo import Repo
from i4qew.placement.expressible import hub_problems
from i4qew.problems import Problem, Severity
from i4qew.rules.registry import rule
from i4qew.text import shorten


@rule(
    "placement-api",
    "with placementApi: PlacementRule, every effective placement is one label selector "
    "(no OR across keys, no cluster claims, no cluster sets)",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  placementApi: Placement\n"
        "# workloads/app.yaml\n"
        "spec:\n"
        "  architectures: [amd64, arm64]"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  placementApi: PlacementRule   # deprecated-api is reported too\n"
        "# workloads/app.yaml\n"
        "spec:\n"
        "  architectures: [amd64, arm64]   # an OR across two labels"
    ),
)
def check_placement_api(repo: Repo) -> Iterator[Problem]:
    for env in repo.repository.environments:
        for p in hub_problems(repo, env.name):
            if p.rule == "placement-api":
                yield p


# What ACM's Git channel can clone: http(s)/ssh/git URLs or scp-like `git@host:path`.
_GIT_URL = re.compile(r"(?:(?:https?|ssh|git)://[^\s/?#]+(?:/[^\s]*)?|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+)")


@rule(
    "git-url",
    "spec.git.url is a URL ACM can clone (https://, http://, ssh://, git:// or git@host:path), one line "
    "without spaces or control characters",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  git: {url: https://gitlab.example.com/plant/edge.git}"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  git: {url: gitlab.example.com/plant/edge}"
    ),
)
def check_git_url(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None:
        return
    url = doc.data["spec"]["git"]["url"]
    if not _GIT_URL.fullmatch(url) or any(not ch.isprintable() for ch in url):
        yield doc.problem(("spec", "git", "url"), "git-url",
                          f"git url {shorten(url)!r} is not a URL ACM can clone: use https://host/group/project.git "
                          "(or ssh://, git@host:group/project.git), without spaces or line breaks")


def _tlv(der: bytes, at: int) -> tuple[int, int, int] | None:
    """(tag, start of content, end of content) of the DER element at `at`, or None."""
    if at + 2 > len(der):
        return None
    tag, first = der[at], der[at + 1]
    start = at + 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if not 1 <= n <= 4 or start + n > len(der):
            return None
        length, start = int.from_bytes(der[start:start + n], "big"), start + n
    end = start + length
    return (tag, start, end) if end <= len(der) else None


def _x509_shape(der: bytes) -> bool:
    """A DER X.509 certificate: SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm
    SEQUENCE, signatureValue BIT STRING } filling the whole block (RFC 5280 4.1)."""
    outer = _tlv(der, 0)
    if outer is None or outer[0] != 0x30 or outer[2] != len(der):
        return False
    tags, at = [], outer[1]
    while at < outer[2]:
        part = _tlv(der, at)
        if part is None:
            return False
        tags.append(part[0])
        at = part[2]
    return tags == [0x30, 0x30, 0x03]


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)


def _ca_problem(text: str) -> str | None:
    """Why a CA bundle would give ACM no certificate to trust, or None.

    ACM keeps the PEM blocks of type CERTIFICATE (pkg/utils/gitrepo.go getCertChain)
    and fails the clone when one does not parse as X.509 (getHTTPOptions)."""
    certificates = 0
    for m in _PEM_BLOCK.finditer(text):
        if m.group(1) != "CERTIFICATE":
            continue
        body = "".join(m.group(2).split())
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return f"certificate {certificates + 1} is not base64 PEM data"
        if not _x509_shape(der):
            return f"certificate {certificates + 1} is not a DER-encoded X.509 certificate"
        certificates += 1
    if certificates == 0:
        return "no PEM certificate (-----BEGIN CERTIFICATE-----) in it"
    return None


@rule(
    "git-ca",
    "spec.git.caFile names a PEM file in the repository with the Git server's CA certificate(s), "
    "and never comes with insecureSkipVerify: true (ACM would ignore the CA)",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  git: {url: https://gitlab.plant.example/edge.git, caFile: certs/gitlab-ca.pem}\n"
        "# certs/gitlab-ca.pem\n"
        "-----BEGIN CERTIFICATE-----\n"
        "MIIBszCCAVmgAwIBAgIUeyuuG7NfWXsslWR2m43GlAz7dKIwCgYIKoZIzj0EAwIw\n"
        "LjEsMCoGA1UEAwwjUGxhbnQgR2l0TGFiIENBIChpNHFldyB0ZXN0IGNvcnB1cykw\n"
        "IBcNMjYxMjA2MjEzNzA0WhgPMjEyNjExMTIyMTM3MDRaMC4xLDAqBgNVBAMMI1Bs\n"
        "YW50IEdpdExhYiBDQSAoaTRxZXcgdGVzdCBjb3JwdXMpMFkwEwYHKoZIzj0CAQYI\n"
        "KoZIzj0DAQcDQgAEiu/K908Zur/cP76GHobGoxDzu6f/jkmf1NSWKK7Ez59A/EBi\n"
        "93pHaER16Q5iriDoa4FiT/PqkJBNjGbBnu80dKNTMFEwHQYDVR0OBBYEFEudVjoq\n"
        "hJdAvVr3NNXLkUSxltsJMB8GA1UdIwQYMBaAFEudVjoqhJdAvVr3NNXLkUSxltsJ\n"
        "MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIga/cioKem3u0+HX19\n"
        "Q/FRQmF4l8Et4MEC9gNxbOSZuoUCIQCam6nlzy/KPfjSEA63EJnBwFyoYW2PoLwc\n"
        "w8BvRYkHKQ==\n"
        "-----END CERTIFICATE-----"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  git: {url: https://gitlab.plant.example/edge.git, caFile: certs/gitlab-ca.pem}\n"
        "# certs/gitlab-ca.pem\n"
        "-----BEGIN CERTIFICATE-----\n"
        "pasted from a web page: not the certificate\n"
        "-----END CERTIFICATE-----"
    ),
)
def check_git_ca(repo: Repo) -> Iterator[Problem]:
    doc, r = repo.repository.doc, repo.repository
    if doc is None or r.git_ca_file is None:
        return
    if r.git_insecure:
        # pkg/utils/gitrepo.go getHTTPOptions: insecureSkipVerify wins, the CA is not loaded.
        yield doc.problem(("spec", "git", "insecureSkipVerify"), "git-ca",
                          "insecureSkipVerify: true makes ACM skip certificate checks and ignore caFile; "
                          "remove insecureSkipVerify (the CA is what makes the connection trusted)")
    text = repo.files.get(str(PurePosixPath(r.git_ca_file)))
    if text is None:  # unreadable: the loader reported it
        return
    why = _ca_problem(text)
    if why is not None:
        yield doc.problem(("spec", "git", "caFile"), "git-ca",
                          f"CA file {shorten(r.git_ca_file, 200)!r}: {why}; export the CA that signed the Git "
                          "server's certificate as PEM")


@rule(
    "deprecated-api",
    "placementApi: PlacementRule is deprecated since ACM 2.8 and unsupported: use placementApi: Placement",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  placementApi: Placement"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  placementApi: PlacementRule"
    ),
)
def check_deprecated_api(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is not None and repo.repository.placement_api == "PlacementRule":
        yield doc.problem(("spec", "placementApi"), "deprecated-api",
                          "PlacementRule is deprecated since ACM 2.8 and not supported on current hubs; "
                          "use placementApi: Placement (cluster.open-cluster-management.io/v1beta1)",
                          Severity.WARNING)
_PLACEHOLDER_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]*@)?[^/:\s]*\.invalid(?:[:/]|$)", re.I)


@rule(
    "git-url-placeholder",
    "spec.git.url is the repository's own URL, not the placeholder `i4qew init` writes (a host under .invalid, "
    "which never resolves: the hub could not clone it)",
    passing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  git: {url: https://gitlab.example.com/plant/edge.git}"
    ),
    failing=(
        "# i4qew.yaml\n"
        "spec:\n"
        "  git: {url: https://gitlab.example.invalid/change-me/edge.git}   # i4qew init's placeholder"
    ),
)
def check_git_url_placeholder(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None:
        return
    url = doc.data["spec"]["git"]["url"]
    if _GIT_URL.fullmatch(url) and _PLACEHOLDER_HOST.match(url):
        yield doc.problem(("spec", "git", "url"), "git-url-placeholder",
                          f"git url {shorten(url)!r} is a placeholder: set it to the URL of this repository that "
                          "the ACM hub clones (i4qew init --git-url sets it)", Severity.WARNING)
