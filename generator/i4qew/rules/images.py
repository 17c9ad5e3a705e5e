"""Image references: valid syntax, and a fixed version wherever an environment is promoted into.

The grammar is the one of github.com/distribution/reference (what Docker,
containerd and CRI-O parse): `[registry[:port]/]path[:tag][@sha256:<64 hex>]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from i4qew import memo
from i4qew.model.repo import Repo
from i4qew.problems import Problem, Severity
from i4qew.rules.registry import local, rule
from i4qew.rules.walk import KeyPath, effective, variants
from i4qew.text import shorten

_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?|\[[0-9a-fA-F:.]+\](?::[0-9]+)?")
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # ASCII: Python's \w also takes "１"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_SPACE = re.compile(r"\s")
MAX_NAME = 255


@dataclass(frozen=True, slots=True)
class ImageRef:
    name: str
    tag: str | None
    digest: str | None


@memo.lru(32768)
def parse_image(ref: str) -> ImageRef | str:
    """The parts of an image reference, or why it is not one. (Cached: image-reference
    and image-tag ask it of every image, spec and overrides, 17,000 distinct at 5x.)"""
    if not ref:
        return "is empty"
    if _SPACE.search(ref):
        return "contains whitespace"
    if "://" in ref:
        return "has a URL scheme; write registry/repository:tag without http(s)://"
    rest, digest = ref, None
    if "@" in ref:
        rest, digest = ref.split("@", 1)
    if digest is not None and not _DIGEST.fullmatch(digest):
        return "has an invalid digest: expected @sha256: followed by 64 lowercase hex digits"
    tag: str | None = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1:]
        if not _TAG.fullmatch(tag):
            return f"has an invalid tag {shorten(tag, 40)!r}: letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-'"
    if len(rest) > MAX_NAME:
        return f"has a repository name of {len(rest)} characters; at most {MAX_NAME}"
    parts = rest.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost" or parts[0].startswith("[")):
        if not _DOMAIN.fullmatch(parts[0]):
            return f"has an invalid registry host {shorten(parts[0], 40)!r}"
        parts = parts[1:]
    for part in parts:
        if not part:
            return "has an empty path component (a leading, trailing or doubled '/', or nothing before ':')"
        if not _PATH_COMPONENT.fullmatch(part):
            if _PATH_COMPONENT.fullmatch(part.lower()):
                return "has upper-case letters in the repository path; repository names are lower case"
            return f"has an invalid path component {shorten(part, 40)!r}: lower-case letters and digits, separated by '.', '_', '__' or '-'"
    return ImageRef(rest, tag, digest)


@local
@rule(
    "image-reference",
    "spec.image (and each environment's image) is a valid reference: registry/repository:tag or "
    "registry/repository@sha256:<64 hex digits>",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  image: registry.example.com/plant/app:1.0.0"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  image: registry.example.com/Plant/app:1.0.0   # upper case"
    ),
)
def check_syntax(repo: Repo) -> Iterator[Problem]:
    for w in repo.workloads:
        for path, image in variants(w, "image"):
            got = parse_image(image)
            if isinstance(got, str):
                yield w.doc.problem(path, "image-reference", f"image {shorten(image)!r} {got}")


@local
@rule(
    "image-tag",
    "an image names a fixed version: no tag or `latest` is a warning, and an error in an environment "
    "that has promotesFrom (promotion must deploy exactly what was tested)",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  image: registry.example.com/plant/app:1.0.0"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  image: registry.example.com/plant/app:latest   # production promotes from dev"
    ),
)
def check_tag(repo: Repo) -> Iterator[Problem]:
    promoted = {e.name for e in repo.repository.environments if e.promotes_from}
    for w in repo.workloads:
        users: dict[KeyPath, list[str]] = {}
        images: dict[KeyPath, str] = {}
        for env, path, image in effective(repo, w, "image"):
            users.setdefault(path, []).append(env)
            images[path] = image
        for path, envs in users.items():
            got = parse_image(images[path])
            if isinstance(got, str) or got.digest or (got.tag and got.tag != "latest"):
                continue
            what = "has no tag, which means the mutable tag 'latest'" if got.tag is None else "uses the mutable tag 'latest'"
            strict = [e for e in envs if e in promoted]
            if strict:
                yield w.doc.problem(path, "image-tag",
                                    f"image {shorten(images[path])!r} {what}; environment {', '.join(strict)} is promoted "
                                    "into and must deploy a fixed version: pin a tag or an @sha256 digest")
            else:
                yield w.doc.problem(path, "image-tag",
                                    f"image {shorten(images[path])!r} {what}; pin a version so a redeploy cannot change it",
                                    Severity.WARNING)
