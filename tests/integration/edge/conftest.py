"""Servers for the stager and gate tests (all on 127.0.0.1), started once per worker."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.edge.servers import (
    KubeApi,
    ModelServer,
    Pki,
    Registry,
    TokenService,
    make_pki,
)
from tests.support.tools import tmpfs

TOKEN_USER, TOKEN_PASSWORD = "puller", "s3cret-pull-password"
BASIC_USER, BASIC_PASSWORD = "basic-user", "b4sic-pa55word"


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry")).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[tuple[Registry, TokenService]]:
    """TLS (a test CA) + Docker token auth, the way GitLab's and Harbor's registries work."""
    tokens = TokenService(pki, TOKEN_USER, TOKEN_PASSWORD)
    auth = {"token": {"realm": f"{tokens.url}/token", "service": "i4qew-test-registry",
                      "issuer": "i4qew-test-issuer", "rootcertbundle": str(pki.signer_cert_pem)}}
    reg = Registry(tmp_path_factory.mktemp("token-registry"), auth=auth, pki=pki).start()
    from tests.integration.edge.servers import sign_token

    reg.push_headers = {"Authorization": "Bearer " + sign_token(pki, "i4qew-test-registry",
                                                                ["repository:models/private:pull,push"])}
    yield reg, tokens
    reg.stop()
    tokens.close()


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    import bcrypt

    d = tmp_path_factory.mktemp("basic-registry")
    hashed = bcrypt.hashpw(BASIC_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (d / "htpasswd").write_text(f"{BASIC_USER}:{hashed}\n")
    reg = Registry(d, auth={"htpasswd": {"realm": "i4qew-test", "path": str(d / "htpasswd")}}).start()
    reg.push_headers = {"Authorization": "Basic " + base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()}
    yield reg
    reg.stop()


@pytest.fixture
def models() -> Iterator[ModelServer]:
    server = ModelServer()
    yield server
    server.close()


@pytest.fixture
def kube_api() -> Iterator[KubeApi]:
    api = KubeApi()
    yield api
    api.close()


def docker_config(path: Path, registry: str, user: str, password: str) -> Path:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {registry: {"auth": auth}}}))
    return path


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs: a real full disk (ENOSPC), mounted for this test only."""
    with tmpfs(tmp_path / "disk", "1m") as disk:
        yield disk
