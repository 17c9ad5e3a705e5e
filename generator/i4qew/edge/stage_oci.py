"""Staging an OCI artifact pinned by manifest digest (ORAS, ModelPack and KitOps style).

The manifest's bytes must hash to the pinned digest; each layer blob must hash to the
digest the manifest gives it. Which layers become files (docs/model-index.md):

- a layer annotated ``org.cncf.model.filepath`` (ModelPack) or
  ``org.opencontainers.image.title`` (ORAS) is placed at that relative path;
- it is unpacked (tar or tar+gzip, regular files and directories only) into the version
  directory instead when it is an ORAS directory (annotated ``io.deis.oras.content.unpack:
  "true"`` by the oras CLI, or of media type ``application/vnd.oci.image.layer.v1.tar+gzip``,
  which oras and oras-py give directories) or a ModelPack
  ``application/vnd.cncf.model.*.tar[+gzip]`` layer;
- layers with neither annotation (and the config blob) are not staged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import stage_unpack
from stage_auth import Authenticator, load_credential
from stage_desired import OCI_RE, Entry
from stage_log import log
from stage_net import FetchError, Http, HttpStatusError, Opener, Response, download, read_small

MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json")
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")
MAX_MANIFEST = 4 << 20
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
ORAS_DIR = "application/vnd.oci.image.layer.v1.tar+gzip"
PATH_KEYS = ("org.cncf.model.filepath", "org.opencontainers.image.title")


@dataclass(frozen=True)
class Layer:
    digest: str
    size: int
    path: str
    unpack: bool


class Registry:
    def __init__(self, http: Http, entry: Entry) -> None:
        m = OCI_RE.fullmatch(entry.source)
        assert m is not None  # stage_desired checked it
        self.http, self.name, self.repo, self.tag = http, m["registry"], m["repository"], m["tag"]
        self.base = f"{'http' if entry.plain_http else 'https'}://{self.name}/v2/{self.repo}"
        self.auth = Authenticator(http, self.name, load_credential(entry.pull_secret, self.name))

    def open(self, path: str, headers: dict[str, str]) -> Response:
        url = self.base + path
        try:
            return self.http.open(url, headers, secret=self._secret(self.auth.header))
        except HttpStatusError as e:
            if e.status != 401:
                raise self._explain(e) from None
            header = self.auth.answer(e.challenge, f"repository:{self.repo}:pull")
        try:
            return self.http.open(url, headers, secret=self._secret(header))
        except HttpStatusError as e:
            raise self._explain(e) from None

    def _secret(self, header: str | None) -> dict[str, str]:
        return {"Authorization": header} if header else {}

    def _explain(self, e: HttpStatusError) -> FetchError:
        if e.status in (401, 403):
            return FetchError(f"registry {self.name} refused access to {self.repo} (HTTP {e.status}); "
                              "check the pull secret", transient=False)
        if e.status == 404:
            return FetchError(f"{self.name}/{self.repo}: {e}: not in the registry", transient=False)
        return e


def stage(http: Http, entry: Entry, work: Path) -> Path:
    """Fetch and verify the artifact into ``work``; return the finished tree directory."""
    reg = Registry(http, entry)
    layers = plan_layers(_manifest(reg, entry, work), entry.what)
    blobs = work / "blobs"
    blobs.mkdir(exist_ok=True)
    _check_space(work, layers, blobs)
    for layer in layers:
        final = blobs / layer.digest[7:]
        if not final.exists():
            part = final.with_suffix(".part")
            url = f"{reg.base}/blobs/{layer.digest}"
            download(_blob_opener(reg, layer.digest), url, part, layer.digest, layer.size)
            os.replace(part, final)
    tree = work / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(mode=0o755)
    for layer in layers:
        blob, what = blobs / layer.digest[7:], f"{entry.what} layer {layer.digest[:19]}"
        if layer.unpack:
            stage_unpack.unpack(blob, tree, what)
        else:
            stage_unpack.place_file(blob, tree, layer.path, what)
    shutil.rmtree(blobs)
    return tree


def _blob_opener(reg: Registry, digest: str) -> Opener:
    def opener(headers: dict[str, str]) -> Response:
        return reg.open(f"/blobs/{digest}", headers)

    return opener


def resolve_tag(http: Http, entry: Entry) -> tuple[str, bytes]:
    """The digest the entry's tag names now, and the manifest's bytes (a followed tag)."""
    reg = Registry(http, entry)
    accept = ", ".join(MANIFEST_TYPES + INDEX_TYPES)
    body = read_small(reg.open(f"/manifests/{reg.tag}", {"Accept": accept}), MAX_MANIFEST, reg.base)
    return "sha256:" + hashlib.sha256(body).hexdigest(), body


def _manifest(reg: Registry, entry: Entry, work: Path) -> bytes:
    saved = work / "manifest.json"
    if saved.exists() and "sha256:" + hashlib.sha256(saved.read_bytes()).hexdigest() == entry.digest:
        return saved.read_bytes()
    accept = ", ".join(MANIFEST_TYPES + INDEX_TYPES)
    body = read_small(reg.open(f"/manifests/{entry.digest}", {"Accept": accept}), MAX_MANIFEST, reg.base)
    got = "sha256:" + hashlib.sha256(body).hexdigest()
    if got != entry.digest:
        raise FetchError(f"digest mismatch: manifest from {reg.name}/{reg.repo} is {got}, pinned "
                         f"{entry.digest}", transient=False)
    saved.write_bytes(body)
    return body


def plan_layers(body: bytes, what: str) -> list[Layer]:
    try:
        doc: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise FetchError(f"{what}: the manifest is not JSON", transient=False) from None
    media = doc.get("mediaType") if isinstance(doc, dict) else None
    if media in INDEX_TYPES or (isinstance(doc, dict) and "manifests" in doc):
        raise FetchError(f"{what}: the digest names an image index; pin the digest of one artifact "
                         "manifest", transient=False)
    if not isinstance(doc, dict) or media not in (None, *MANIFEST_TYPES) or not isinstance(doc.get("layers"), list):
        raise FetchError(f"{what}: not an OCI image manifest", transient=False)
    layers = [lay for i, d in enumerate(doc["layers"]) if (lay := _layer(d, i, what)) is not None]
    if not layers:
        raise FetchError(f"{what}: no layer names a file (annotation {' or '.join(PATH_KEYS)})",
                         transient=False)
    return layers


def _layer(d: Any, i: int, what: str) -> Layer | None:
    if not isinstance(d, dict):
        raise FetchError(f"{what}: layer {i} is not an object", transient=False)
    digest, size, media = d.get("digest"), d.get("size"), d.get("mediaType", "")
    if not isinstance(digest, str) or not DIGEST_RE.fullmatch(digest):
        raise FetchError(f"{what}: layer {i} digest is not sha256:<64 hex>", transient=False)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or not isinstance(media, str):
        raise FetchError(f"{what}: layer {i} has no valid size or mediaType", transient=False)
    notes = d.get("annotations")
    if not isinstance(notes, dict):
        notes = {}
    path = next((notes[k] for k in PATH_KEYS if isinstance(notes.get(k), str) and notes[k]), None)
    if path is None:
        log("info", f"layer {i} ({media}) names no file: not staged", what)
        return None
    modelpack = media.startswith("application/vnd.cncf.model.")
    if modelpack and media.endswith("+zstd"):
        raise FetchError(f"{what}: layer {i} is zstd-compressed ({media}); the stager reads tar and "
                         "tar+gzip", transient=False)
    unpack = notes.get("io.deis.oras.content.unpack") == "true" or media == ORAS_DIR or (
        modelpack and media.endswith((".tar", ".tar+gzip")))
    if not unpack:
        stage_unpack.safe_relpath(path, f"{what} layer {i}")
    return Layer(digest, size, path, unpack)


def _check_space(work: Path, layers: list[Layer], blobs: Path) -> None:
    need = sum(lay.size for lay in layers if not (blobs / lay.digest[7:]).exists())
    need += sum(lay.size for lay in layers if lay.unpack)  # unpacked copy, at least as large
    free = shutil.disk_usage(work).free
    if need > free:
        raise FetchError(f"no space left on device: needs at least {need} bytes, {free} free",
                         transient=False, no_space=True)
