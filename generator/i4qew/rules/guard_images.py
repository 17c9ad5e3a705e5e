"""Guardrails on where images come from: allowed registries (image prefixes) and
digest pinning per environment (i4qew.yaml `spec.guardrails.namespaces[]`)."""

from __future__ import annotations

from collections.abc import Iterator

from i4qew.model.repo import Repo
from i4qew.problems import Problem
from i4qew.rules.examples import guardrail
from i4qew.rules.guardrails import judged
from i4qew.rules.images import ImageRef, parse_image
from i4qew.rules.registry import local, rule
from i4qew.rules.walk import effective, variants
from i4qew.text import shorten

DOCKER_HUB = "docker.io"


def _split_host(parts: list[str]) -> tuple[str, list[str]]:
    """(registry host, path) the way distribution/reference tells a host from a path: a
    first component with '.' or ':', `localhost` or an IPv6 literal; else Docker Hub."""
    first = parts[0]
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        host, path = first, parts[1:]
    else:
        host, path = DOCKER_HUB, parts
    return (DOCKER_HUB if host == "index.docker.io" else host), path


def full_name(name: str) -> str:
    """An image's repository as the container runtime resolves it (distribution/reference
    normalisation): `nginx` is docker.io/library/nginx, `index.docker.io/x/y` is docker.io/x/y."""
    host, path = _split_host(name.split("/"))
    if host == DOCKER_HUB and len(path) == 1:
        path = ["library", *path]
    return "/".join([host, *path])


def prefix_name(prefix: str) -> str:
    """A registries entry in the same form, without the `library/` of a short image name:
    `registry.example.com` is that host, `bitnami` is docker.io/bitnami."""
    parts = prefix.strip("/").split("/")
    # a lone component with a dot is a host (registry.example.com), not a Docker Hub user
    host, path = _split_host([*parts, ""] if len(parts) == 1 else parts)
    return "/".join([host, *(p for p in path if p)])


def allowed(image: ImageRef, registries: tuple[str, ...]) -> bool:
    """Whole path components: registry.example.com/team-a admits registry.example.com/team-a/x,
    never registry.example.com/team-abc/x or registry.example.com.evil.io/x."""
    name = full_name(image.name)
    return any(name == p or name.startswith(p + "/") for p in map(prefix_name, registries))


@local
@rule(
    "image-registry",
    "a workload's images come from a registry its namespace's guardrail lists (registries: image prefixes, "
    "matched by whole path components)",
    passing=(
        guardrail("{match: [plant], registries: [registry.example.com/plant]}") +
        "# workloads/app.yaml\n"
        "spec:\n"
        "  image: registry.example.com/plant/detector:1.0"
    ),
    failing=(
        guardrail("{match: [plant], registries: [registry.example.com/plant]}") +
        "# workloads/app.yaml\n"
        "spec:\n"
        "  image: docker.io/someone/detector:1.0"
    ),
)
def check_registry(repo: Repo) -> Iterator[Problem]:
    guardrails = repo.repository.guardrails
    for w in judged(repo):
        g = guardrails.for_namespace(w.namespace)
        if g.registries is None:
            continue
        for path, image in variants(w, "image"):
            got = parse_image(image)
            if isinstance(got, str) or allowed(got, g.registries):
                continue  # an invalid reference is image-reference's
            listed = shorten(", ".join(g.registries), 200) or "none"
            yield w.doc.problem(path, "image-registry",
                                f"image {shorten(image)!r} ({shorten(full_name(got.name))}) is not from a registry "
                                f"namespace '{w.namespace}' may pull from: {g.cite(w.namespace)} lists {listed}; "
                                f"to grant it, {g.grant(w.namespace, f'registries: [..., {shorten(full_name(got.name))}]')}")


@local
@rule(
    "image-digest",
    "in the environments its namespace's guardrail names in digestIn, every image is pinned by @sha256 digest "
    "(a tag can be moved to other bytes)",
    passing=(
        guardrail("{match: [plant], digestIn: [production]}") +
        "# workloads/app.yaml\n"
        "spec:\n"
        "  image: registry.example.com/plant/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    ),
    failing=(
        guardrail("{match: [plant], digestIn: [production]}") +
        "# workloads/app.yaml\n"
        "spec:\n"
        "  image: registry.example.com/plant/app:1.0.0"
    ),
)
def check_digest(repo: Repo) -> Iterator[Problem]:
    guardrails = repo.repository.guardrails
    for w in judged(repo):
        g = guardrails.for_namespace(w.namespace)
        if not g.digest_in:
            continue
        where: dict[tuple[str | int, ...], list[str]] = {}
        images: dict[tuple[str | int, ...], str] = {}
        for env, path, image in effective(repo, w, "image"):
            got = parse_image(image)
            if env in g.digest_in and not isinstance(got, str) and got.digest is None:
                where.setdefault(path, []).append(env)
                images[path] = image
        for path, envs in where.items():
            names = ", ".join(envs)
            yield w.doc.problem(path, "image-digest",
                                f"image {shorten(images[path])!r} is deployed to {names} without a digest, and "
                                f"{g.cite(w.namespace)} requires @sha256 digests there (digestIn); pin it as "
                                f"image@sha256:<digest>, or {g.grant(w.namespace, f'digestIn without {names}')}")
