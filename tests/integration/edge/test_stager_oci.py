"""The stager against Debian's docker-registry (distribution 2.8): artifacts pushed with oras
(files and a directory) and ModelPack-style layers, verified by manifest and blob digest;
anonymous, Basic and Docker token auth (over TLS with a private CA); a proxy that alters
bytes; and artifacts whose layers must not become files."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from tests.integration.edge.conftest import (
    BASIC_PASSWORD,
    BASIC_USER,
    TOKEN_PASSWORD,
    TOKEN_USER,
    docker_config,
)
from tests.integration.edge.run import desired, stage
from tests.integration.edge.servers import Registry, TamperProxy, TokenService, oras_push

WEIGHTS = os.urandom(200_000)
CONFIG = b'{"labels": ["bolt", "nut"]}\n'
RUN_SH = "#!/bin/sh\n"


@pytest.fixture(scope="module")
def oras_model(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> str:
    src = tmp_path_factory.mktemp("oras-src")
    (src / "weights.bin").write_bytes(WEIGHTS)
    (src / "labels").mkdir()
    (src / "labels" / "config.json").write_bytes(CONFIG)
    (src / "labels" / "deep").mkdir()
    (src / "labels" / "deep" / "run.sh").write_text(RUN_SH)
    (src / "labels" / "deep" / "run.sh").chmod(0o755)
    digest = oras_push(registry, src, "models/detector", "v1", "weights.bin", "labels")
    return f"oci://{registry.host}/models/detector@{digest}"


def tar(files: dict[str, bytes], gz: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def oci(source: str, version: str = "1", **extra: object) -> dict[str, object]:
    return {"model": "detector", "version": version, "source": source, "plainHTTP": True, **extra}


def tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_oras_artifact_is_staged_file_by_file(tmp_path: Path, oras_model: str) -> None:
    root = tmp_path / "root"
    done = stage(desired(root, [oci(oras_model)]), tmp_path)
    assert done.returncode == 0, done.stderr
    version = root / "detector" / "1"
    files = tree(version)
    assert set(files) == {".i4qew-ready", "weights.bin", "labels/config.json", "labels/deep/run.sh"}
    assert files["weights.bin"] == WEIGHTS and files["labels/config.json"] == CONFIG
    assert os.access(version / "labels" / "deep" / "run.sh", os.X_OK)
    assert oct((version / "weights.bin").stat().st_mode & 0o777) == "0o644"
    marker = files[".i4qew-ready"].decode()
    assert f"digest={oras_model.split('@')[1]}\n" in marker
    assert f"size={len(WEIGHTS) + len(CONFIG) + len(RUN_SH)}\n" in marker


def test_unknown_manifest_digest_is_a_clear_failure(tmp_path: Path, registry: Registry, oras_model: str) -> None:
    root = tmp_path / "root"
    missing = oras_model.split("@")[0] + "@sha256:" + "0" * 64
    done = stage(desired(root, [oci(missing)]), tmp_path)
    assert done.returncode == 1
    assert "HTTP 404" in done.stderr and "not in the registry" in done.stderr
    assert not (root / "detector").exists()


def test_modelpack_layers_raw_and_tar(tmp_path: Path, registry: Registry) -> None:
    digest = registry.push_artifact("models/llm", "v1", [
        (WEIGHTS, "application/vnd.cncf.model.weight.v1.raw", {"org.cncf.model.filepath": "weights/model.safetensors"}),
        (tar({"tokenizer/vocab.txt": b"a\nb\nc"}), "application/vnd.cncf.model.weight.config.v1.tar+gzip", {"org.cncf.model.filepath": "tokenizer"}),
        (b"no name", "application/vnd.oci.image.layer.v1.tar", {}),
    ])
    root = tmp_path / "root"
    done = stage(desired(root, [oci(f"oci://{registry.host}/models/llm@{digest}")]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert set(tree(root / "detector" / "1")) == {".i4qew-ready", "weights/model.safetensors", "tokenizer/vocab.txt"}
    assert "layer 2 (application/vnd.oci.image.layer.v1.tar) names no file: not staged" in done.stderr


@pytest.mark.parametrize(("layers", "message"), [
    ([(b"x", "application/vnd.cncf.model.weight.v1.raw", {"org.cncf.model.filepath": "../escape"})], "leaves the version directory"),
    ([(b"x", "application/vnd.cncf.model.weight.v1.raw", {"org.cncf.model.filepath": ".i4qew-ready"})], "reserved for i4qew"),
    ([(b"x", "application/vnd.cncf.model.weight.v1.tar+zstd", {"org.cncf.model.filepath": "w"})], "zstd-compressed"),
    ([(b"x", "application/vnd.oci.image.layer.v1.tar", {})], "no layer names a file"),
    ([(b"not a tar", "application/vnd.oci.image.layer.v1.tar+gzip", {"org.opencontainers.image.title": "d"})], "not a readable tar archive"),
])
def test_artifacts_that_must_not_become_files(tmp_path: Path, registry: Registry, layers: list[tuple[bytes, str, dict[str, str]]], message: str) -> None:
    digest = registry.push_artifact("models/bad", f"t{hashlib.sha256(message.encode()).hexdigest()[:8]}", layers)
    root = tmp_path / "root"
    done = stage(desired(root, [oci(f"oci://{registry.host}/models/bad@{digest}")]), tmp_path)
    assert done.returncode == 1
    assert message in done.stderr
    assert not (root / "detector").exists()
    assert list((root / ".i4qew" / "tmp").iterdir()) == []


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(("member", "message"), [
    (_member("d/passwd", tarfile.SYMTYPE, "/etc/passwd"), "is a link or special file"),
    (_member("d/hard", tarfile.LNKTYPE, "etc/passwd"), "is a link or special file"),
    (_member("d/null", tarfile.CHRTYPE), "is a link or special file"),
    (_member("../escape"), "leaves the version directory"),
    (_member("/etc/cron.d/x"), "leaves the version directory"),
    (_member("d/../../x"), "leaves the version directory"),
    (_member(".i4qew-ready"), "reserved for i4qew"),
])
def test_tar_members_that_must_not_become_files(tmp_path: Path, registry: Registry, member: tarfile.TarInfo, message: str) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        t.addfile(member, io.BytesIO(b"") if member.isreg() else None)
    tag = "m" + hashlib.sha256(member.name.encode() + member.type).hexdigest()[:8]
    digest = registry.push_artifact("models/bad", tag, [
        (buf.getvalue(), "application/vnd.oci.image.layer.v1.tar+gzip", {"org.opencontainers.image.title": "d"})])
    root = tmp_path / "root"
    done = stage(desired(root, [oci(f"oci://{registry.host}/models/bad@{digest}")]), tmp_path)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert not (root / "detector").exists()
    assert not (tmp_path / "escape").exists() and not (tmp_path / "x").exists()


def test_image_index_is_refused(tmp_path: Path, registry: Registry, oras_model: str) -> None:
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                      "digest": oras_model.split("@")[1], "size": 1}]}).encode()
    import urllib.request

    req = urllib.request.Request(f"{registry.url}/v2/models/detector/manifests/index", data=body, method="PUT",
                                 headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
    urllib.request.urlopen(req, timeout=30).close()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    root = tmp_path / "root"
    done = stage(desired(root, [oci(f"oci://{registry.host}/models/detector@{digest}")]), tmp_path)
    assert done.returncode == 1 and "names an image index" in done.stderr


@pytest.mark.parametrize("tamper", ["/blobs/", "/manifests/"])
def test_bytes_altered_on_the_way_are_caught(tmp_path: Path, registry: Registry, oras_model: str, tamper: str) -> None:
    proxy = TamperProxy(registry.url, tamper)
    try:
        source = oras_model.replace(registry.host, f"127.0.0.1:{proxy.port}")
        root = tmp_path / "root"
        done = stage(desired(root, [oci(source)]), tmp_path)
        assert done.returncode == 1
        assert "digest mismatch" in done.stderr
        assert ("manifest from" in done.stderr) == (tamper == "/manifests/")
        assert not (root / "detector").exists()
        assert list((root / ".i4qew" / "tmp").iterdir()) == []
    finally:
        proxy.close()


def _private_artifact(registry: Registry, repo: str) -> str:
    return registry.push_artifact(repo, "v1", [
        (WEIGHTS, "application/vnd.cncf.model.weight.v1.raw", {"org.cncf.model.filepath": "model.bin"})])


def test_token_auth_over_tls_with_a_private_ca(tmp_path: Path, token_registry: tuple[Registry, TokenService]) -> None:
    registry, tokens = token_registry
    digest = _private_artifact(registry, "models/private")
    source = f"oci://{registry.host}/models/private@{digest}"
    (tmp_path / "pull").mkdir()
    secret = docker_config(tmp_path / "pull" / ".dockerconfigjson", registry.host, TOKEN_USER, TOKEN_PASSWORD)
    root = tmp_path / "root"
    ca = str(registry.pki.ca_pem) if registry.pki else ""
    # without the CA the registry's certificate is not trusted
    done = stage(desired(root, [{"model": "detector", "version": "1", "source": source, "pullSecret": str(secret)}]), tmp_path)
    assert done.returncode == 1 and "not trusted" in done.stderr and "set caFile" in done.stderr
    calls = len(tokens.calls)
    entry = {"model": "detector", "version": "1", "source": source, "pullSecret": str(secret), "caFile": ca}
    done = stage(desired(root, [entry]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert (root / "detector" / "1" / "model.bin").read_bytes() == WEIGHTS
    new = tokens.calls[calls:]
    assert new and all(c["auth"] and c["service"] == "i4qew-test-registry" for c in new)
    assert new[0]["scope"] == ["repository:models/private:pull"]
    everything = done.stderr + "".join(p.read_text() for p in (root / ".i4qew").rglob("*.json"))
    assert TOKEN_PASSWORD not in everything and "Bearer" not in everything


def test_token_auth_refuses_wrong_or_missing_credentials(tmp_path: Path, token_registry: tuple[Registry, TokenService]) -> None:
    registry, _ = token_registry
    digest = _private_artifact(registry, "models/private")
    ca = str(registry.pki.ca_pem) if registry.pki else ""
    (tmp_path / "pull").mkdir()
    wrong = docker_config(tmp_path / "pull" / "wrong.json", registry.host, TOKEN_USER, "not-the-password")
    entry = {"model": "detector", "version": "1", "source": f"oci://{registry.host}/models/private@{digest}", "caFile": ca}
    root = tmp_path / "root"
    done = stage(desired(root, [{**entry, "pullSecret": str(wrong)}]), tmp_path)
    assert done.returncode == 1 and "refused the pull secret's credentials" in done.stderr
    assert "not-the-password" not in done.stderr
    done = stage(desired(root, [entry]), tmp_path)  # anonymous: the token service says no
    assert done.returncode == 1 and "token service of" in done.stderr
    assert not (root / "detector").exists()


def test_basic_auth(tmp_path: Path, basic_registry: Registry) -> None:
    digest = _private_artifact(basic_registry, "models/basic")
    (tmp_path / "pull").mkdir()
    secret = docker_config(tmp_path / "pull" / "config.json", f"http://{basic_registry.host}", BASIC_USER, BASIC_PASSWORD)
    entry = {"model": "detector", "version": "1", "source": f"oci://{basic_registry.host}/models/basic@{digest}",
             "plainHTTP": True}
    root = tmp_path / "root"
    done = stage(desired(root, [entry]), tmp_path)
    assert done.returncode == 1 and "wants Basic credentials and the pull secret has none" in done.stderr
    done = stage(desired(root, [{**entry, "pullSecret": str(secret)}]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert (root / "detector" / "1" / "model.bin").read_bytes() == WEIGHTS
    assert BASIC_PASSWORD not in done.stderr


def test_gzip_is_detected_by_content_not_trusted_from_names(tmp_path: Path, registry: Registry) -> None:
    """An ORAS directory layer that is a plain (uncompressed) tar still unpacks."""
    plain = tar({"d/a.txt": b"a"}, gz=False)
    assert not plain.startswith(gzip.compress(b"")[:2])
    digest = registry.push_artifact("models/plain", "v1", [
        (plain, "application/vnd.oci.image.layer.v1.tar", {"org.opencontainers.image.title": "d",
                                                                    "io.deis.oras.content.unpack": "true"})])
    root = tmp_path / "root"
    done = stage(desired(root, [oci(f"oci://{registry.host}/models/plain@{digest}")]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert (root / "detector" / "1" / "d" / "a.txt").read_bytes() == b"a"


def test_a_tag_without_a_digest_is_followed(tmp_path: Path, registry: Registry) -> None:
    """dev may name a tag (rule model-source-pin warns): each pass stages what the tag names
    now, the marker records that digest; offline, what was staged stays ready."""
    from tests.support.git_remote import free_port

    src = tmp_path / "src"
    src.mkdir()
    root = tmp_path / "root"
    (src / "weights.bin").write_bytes(b"first weights")
    first = oras_push(registry, src, "models/followed", "latest", "weights.bin")
    tagged = {"model": "detector", "version": "1", "source": f"oci://{registry.host}/models/followed:latest",
              "plainHTTP": True}
    done = stage(desired(root, [tagged]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"tag oci://{registry.host}/models/followed:latest names {first}" in done.stderr
    assert f"digest={first}\n" in (root / "detector" / "1" / ".i4qew-ready").read_text()

    (src / "weights.bin").write_bytes(b"second weights")
    second = oras_push(registry, src, "models/followed", "latest", "weights.bin")
    done = stage(desired(root, [tagged]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert (root / "detector" / "1" / "weights.bin").read_bytes() == b"second weights"
    assert f"digest={second}\n" in (root / "detector" / "1" / ".i4qew-ready").read_text()

    offline = {**tagged, "source": f"oci://127.0.0.1:{free_port()}/models/followed:latest"}
    done = stage(desired(root, [offline]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tag not checked (" in done.stderr and f"keeping the staged {second}" in done.stderr
    status = json.loads((root / ".i4qew" / "status" / "dev.models.json").read_text())
    assert [(v["state"], v["digest"]) for v in status["versions"]] == [("Ready", second)]

    missing = {**tagged, "version": "2", "source": f"oci://{registry.host}/models/followed:nope"}
    done = stage(desired(root, [missing]), tmp_path)
    assert done.returncode == 1
    assert "HTTP 404" in done.stderr and not (root / "detector" / "2").exists()
