"""Where a model version's bytes come from, parsed once for the rules, the staging
compiler and plan.

    oci://REGISTRY[:PORT]/REPOSITORY[:TAG]@sha256:<64 hex>   an OCI artifact (ORAS,
        ModelPack, KitOps) or image, pinned by the digest of its manifest
    https://HOST/PATH  + sha256: <64 hex>                     one file, pinned by its sha256

The digest is what the readiness marker on the node records and what the gate
compares (docs/model-index.md): the manifest digest for OCI, the file's sha256
for https. A tag without a digest pins nothing: the rules refuse it where an
environment is promoted into and warn elsewhere; nothing stages it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from i4qew.k8s.quantity import QuantityError, parse_quantity
from i4qew.model.repo import Model

HEX64: Final = re.compile(r"[0-9a-f]{64}")
_REGISTRY: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")
_COMPONENT: Final = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY: Final = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TAG: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_FILE: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}")
# The names the marker contract allows for a model and a version directory (the gate's
# and the stager's own check): no leading '.', at most 128 characters.
VERSION_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
# The plaintext-secret rule reports a password in any field; model-source stays quiet about it.
PASSWORD_IN_URL: Final = "carries a password"


@dataclass(frozen=True, slots=True)
class Source:
    kind: str  # "oci" | "https"
    text: str  # as declared
    digest: str | None  # sha256:<hex>; None = not pinned (an OCI tag alone)
    registry: str = ""  # oci: host[:port]
    repository: str = ""  # oci: path
    tag: str | None = None  # oci
    file: str = ""  # https: the file name in the version directory

    @property
    def image(self) -> str:
        """oci: the reference as a container runtime writes it (for an image volume)."""
        tag = f":{self.tag}" if self.tag else ""
        return f"{self.registry}/{self.repository}{tag}" + (f"@{self.digest}" if self.digest else "")


def parse_oci(text: str) -> Source | str:
    rest = text.removeprefix("oci://")
    digest = None
    if "@" in rest:
        rest, _, pin = rest.partition("@")
        if not (pin.startswith("sha256:") and HEX64.fullmatch(pin[7:])):
            return "has an invalid digest: expected @sha256: followed by 64 lowercase hex digits"
        digest = pin
    registry, slash, path = rest.partition("/")
    if not slash or not _REGISTRY.fullmatch(registry):
        return "must be oci://REGISTRY/REPOSITORY@sha256:<64 hex> (the registry host first)"
    _, colon, port = registry.partition(":")
    if colon and not 0 < int(port) <= 65535:
        return "has an invalid port: a port is a number from 1 to 65535"
    tag = None
    if ":" in path:
        path, _, tag = path.rpartition(":")
        if not _TAG.fullmatch(tag):
            return f"has an invalid tag {tag[:40]!r}"
    if not _REPOSITORY.fullmatch(path):
        return "has an invalid repository path: lower-case letters and digits, separated by '.', '_', '__', '-' or '/'"
    return Source("oci", text, digest, registry, path, tag)


def parse_https(text: str, sha256: str | None, file: str | None) -> Source | str:
    parts = urlsplit(text)
    if parts.password is not None:
        return PASSWORD_IN_URL
    if parts.username is not None:
        return "names a user: credentials never go into Git (serve the model inside the plant network, or use an OCI registry and pullSecret)"
    if not parts.hostname or any(ch.isspace() for ch in text):
        return "must be https://HOST/PATH"
    try:
        port = parts.port  # urllib (and so the stager) refuses a port out of range or not a number
    except ValueError:
        port = 0
    if port == 0:
        return "has an invalid port: a port is a number from 1 to 65535"
    if sha256 is None:
        return "has no sha256: an https source is pinned by the sha256 of its file (sha256: <64 hex>)"
    hex_ = sha256.removeprefix("sha256:")
    if not HEX64.fullmatch(hex_):
        return "has a sha256 that is not 64 lowercase hex digits"
    name = file if file is not None else unquote(parts.path.rsplit("/", 1)[-1])
    if not _FILE.fullmatch(name) or name.startswith("."):
        what = "file" if file is not None else "the URL's last path segment"
        return f"needs a plain file name: {what} {name[:40]!r} is not one (set file: model.onnx)"
    return Source("https", text, f"sha256:{hex_}", file=name)


def parse_source(entry: dict[str, Any]) -> Source | str:
    """A version entry's source, or why it is refused (a phrase after "source ...")."""
    text = entry["source"]
    if text.startswith("oci://"):
        for key in ("sha256", "file"):
            if key in entry:
                return f"is an OCI artifact, which carries its digest: {key} is for https sources"
        return parse_oci(text)
    if text.startswith("https://"):
        return parse_https(text, entry.get("sha256"), entry.get("file"))
    if text.startswith("http://"):
        return "uses http://: fetch models over https (the sha256 still pins the bytes, but the URL leaks what a plant runs)"
    return "must start with oci:// or https://"


def size_bytes(value: Any) -> int | str | None:
    """The declared size in bytes, or why it is refused; None when not given."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        q = parse_quantity(str(value))
    except QuantityError as exc:
        return f"is not a size: {exc}"
    if q < 0 or q.denominator != 1:
        return "must be a whole, non-negative number of bytes"
    return int(q)


def version_source(model: Model, version: str) -> Source | None:
    """The parsed source of a declared version; None without one (or an invalid one,
    which validation has reported)."""
    entry = model.entry(version)
    if entry is None or entry.source is None:
        return None
    got = parse_source({k: v for k, v in (("source", entry.source), ("sha256", entry.sha256),
                                          ("file", entry.file)) if v is not None})
    return None if isinstance(got, str) else got


def version_size(model: Model, version: str) -> int | None:
    entry = model.entry(version)
    got = size_bytes(entry.size) if entry is not None else None
    return got if isinstance(got, int) else None
