"""The desired state of one stager: which model versions must be on this node, from where.

The compiler writes it (a ConfigMap key mounted as a file); see docs/model-index.md for the
format. Every problem is one line ``PATH:LINE:COL: error [stage-desired] MESSAGE``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

API_VERSION = "edge.i4q.eu/v1alpha1"
KIND = "ModelStaging"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
OWNER_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,252}")
FILE_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
OCI_RE = re.compile(
    r"oci://(?P<registry>[A-Za-z0-9.-]+(?::[0-9]{1,5})?)/(?P<repository>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?"
    r"(?:@sha256:(?P<hex>[0-9a-f]{64}))?"
)
TOP_KEYS = {"apiVersion", "kind", "owner", "root", "keepPrevious", "versions"}
ENTRY_KEYS = {"model", "version", "source", "sha256", "size", "file", "pullSecret", "plainHTTP", "caFile"}


class DesiredError(Exception):
    """A desired-state problem, already formatted as ``PATH:LINE:COL: error [...] ...``."""


@dataclass(frozen=True)
class Entry:
    model: str
    version: str
    kind: str  # "oci" or "http"
    source: str
    digest: str  # sha256:<hex>: the OCI manifest digest, or the sha256 of the downloaded file;
    # "" for an OCI tag without a digest: the stager follows the tag (stage_fetch.resolve_tag)
    size: int | None
    file: str  # http: the file name in the version directory; oci: ""
    pull_secret: str | None
    plain_http: bool
    ca_file: str | None

    @property
    def what(self) -> str:
        return f"model {self.model} version {self.version}"


@dataclass(frozen=True)
class Desired:
    owner: str
    root: str
    keep_previous: int
    entries: tuple[Entry, ...]


def load(path: str) -> Desired:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise DesiredError(f"{path}:1:1: error [stage-desired] cannot read: {e.__class__.__name__}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DesiredError(f"{path}:{e.lineno}:{e.colno}: error [stage-desired] not JSON: {e.msg}") from None
    try:
        return parse(data)
    except ValueError as e:
        raise DesiredError(f"{path}:1:1: error [stage-desired] {e}") from None


def parse(data: Any) -> Desired:
    if not isinstance(data, dict):
        raise ValueError("the desired state must be a JSON object")
    _no_unknown(data, TOP_KEYS, "")
    if data.get("apiVersion") != API_VERSION or data.get("kind") != KIND:
        raise ValueError(f"apiVersion/kind must be {API_VERSION}/{KIND}")
    owner = _str(data, "owner", "")
    if not OWNER_RE.fullmatch(owner):
        raise ValueError("owner must match [a-z0-9][a-z0-9._-]* (it names files on the node)")
    root = _str(data, "root", "")
    if not root.startswith("/") or ".." in PurePosixPath(root).parts:
        raise ValueError("root must be an absolute path without '..'")
    keep = data.get("keepPrevious", 1)
    if not isinstance(keep, int) or isinstance(keep, bool) or not 0 <= keep <= 10:
        raise ValueError("keepPrevious must be an integer from 0 to 10")
    versions = data.get("versions")
    if not isinstance(versions, list):
        raise ValueError("versions must be a list")
    entries = tuple(_entry(v, f"versions[{i}]") for i, v in enumerate(versions))
    seen: set[tuple[str, str]] = set()
    for e in entries:
        if (e.model, e.version) in seen:
            raise ValueError(f"{e.what} is listed twice")
        seen.add((e.model, e.version))
    return Desired(owner, root, keep, entries)


def _entry(data: Any, where: str) -> Entry:
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be an object")
    _no_unknown(data, ENTRY_KEYS, where + ".")
    model, version = _str(data, "model", where), _str(data, "version", where)
    for key, value in (("model", model), ("version", version)):
        if not NAME_RE.fullmatch(value) or value.startswith(".."):
            raise ValueError(f"{where}.{key} {value!r} must match [A-Za-z0-9][A-Za-z0-9._-]*")
    source = _str(data, "source", where)
    size = data.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ValueError(f"{where}.size must be a non-negative integer (bytes)")
    secret = _opt_path(data, "pullSecret", where)
    ca_file = _opt_path(data, "caFile", where)
    plain = data.get("plainHTTP", False)
    if not isinstance(plain, bool):
        raise ValueError(f"{where}.plainHTTP must be true or false")
    if source.startswith("oci://"):
        m = OCI_RE.fullmatch(source)
        if not m or not (m["hex"] or m["tag"]):
            raise ValueError(f"{where}.source must be oci://REGISTRY/REPOSITORY@sha256:<64 hex> (or :TAG, followed)")
        _port(f"//{m['registry']}", where)
        for key in ("sha256", "file"):
            if key in data:
                raise ValueError(f"{where}.{key} is for https sources; an OCI source carries its digest")
        digest = f"sha256:{m['hex']}" if m["hex"] else ""
        return Entry(model, version, "oci", source, digest, size, "", secret, plain, ca_file)
    if source.startswith(("https://", "http://")):
        return _http_entry(data, where, model, version, source, size, ca_file)
    raise ValueError(f"{where}.source must start with oci://, https:// or http://")


def _http_entry(
    data: dict[str, Any], where: str, model: str, version: str, source: str, size: int | None,
    ca_file: str | None,
) -> Entry:
    parts = urlsplit(source)
    if parts.username is not None or parts.password is not None or not parts.hostname:
        raise ValueError(f"{where}.source must name a host and carry no credentials")
    _port(source, where)
    for key in ("pullSecret", "plainHTTP"):
        if key in data:
            raise ValueError(f"{where}.{key} is for oci sources")
    digest = _str(data, "sha256", where).removeprefix("sha256:")
    if not HEX64_RE.fullmatch(digest):
        raise ValueError(f"{where}.sha256 must be 64 lowercase hex digits")
    name = data.get("file", unquote(parts.path.rsplit("/", 1)[-1]))
    if not isinstance(name, str) or not FILE_RE.fullmatch(name) or name.startswith(".") or name == "..":
        raise ValueError(f"{where}.file must be a plain file name (set it when the URL does not end in one)")
    return Entry(model, version, "http", source, f"sha256:{digest}", size, name, None, False, ca_file)


def _port(url: str, where: str) -> None:
    try:
        port = urlsplit(url).port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError(f"{where}.source has an invalid port (a number from 1 to 65535)")


def _str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where + '.' if where else ''}{key} must be a non-empty string")
    return value


def _opt_path(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        raise ValueError(f"{where}.{key} must be an absolute path in the stager's container")
    return value


def _no_unknown(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"{where}{unknown[0]}: unknown field (allowed: {', '.join(sorted(allowed))})")
