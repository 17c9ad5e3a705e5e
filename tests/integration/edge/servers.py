"""Real servers on 127.0.0.1 for the stager tests: Debian's docker-registry (distribution
2.8) anonymous, with Basic (htpasswd) auth, or over TLS with Docker token auth; the token
service it trusts; a model HTTP server that can hold, cut off, lie or be down; a proxy that
alters bytes; and a recorder standing in for the Kubernetes API (ConfigMap PATCH)."""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.git_remote import free_port

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def registry_binary() -> str:
    found = shutil.which("docker-registry") or ("/usr/bin/docker-registry" if Path("/usr/bin/docker-registry").exists() else None)
    if not found:
        pytest.skip("docker-registry (Debian package, distribution 2.8) is not installed; .ci/run installs it")
    return found


# ---------------------------------------------------------------- certificates and tokens

@dataclass
class Pki:
    ca_pem: Path
    cert_pem: Path
    key_pem: Path
    signer: Any  # EC private key that signs registry tokens
    signer_cert_der: bytes
    signer_cert_pem: Path


def make_pki(d: Path) -> Pki:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def build(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool, san: bool) -> Any:
        b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                critical=False)
        return b.sign(issuer_key, hashes.SHA256())

    d.mkdir(parents=True, exist_ok=True)
    ca_key, srv_key, tok_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = build("i4qew test CA", ca_key, "i4qew test CA", ca_key, True, False)
    srv = build("127.0.0.1", srv_key, "i4qew test CA", ca_key, False, True)
    tok = build("i4qew token signer", tok_key, "i4qew token signer", tok_key, True, False)
    pem = serialization.Encoding.PEM
    (d / "ca.pem").write_bytes(ca.public_bytes(pem))
    (d / "cert.pem").write_bytes(srv.public_bytes(pem))
    (d / "key.pem").write_bytes(srv_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    (d / "token-signer.pem").write_bytes(tok.public_bytes(pem))
    return Pki(d / "ca.pem", d / "cert.pem", d / "key.pem", tok_key, tok.public_bytes(serialization.Encoding.DER),
               d / "token-signer.pem")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_token(pki: Pki, service: str, scopes: list[str]) -> str:
    """A registry token (ES256 JWT, x5c header) that distribution's token auth accepts."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    now = int(time.time())
    access = []
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        repo, _, actions = rest.rpartition(":")
        access.append({"type": kind, "name": repo, "actions": actions.split(",")})
    header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(pki.signer_cert_der).decode()]}
    claims = {"iss": "i4qew-test-issuer", "sub": "puller", "aud": service, "exp": now + 600,
              "nbf": now - 60, "iat": now, "jti": f"t{now}{len(scopes)}", "access": access}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    der = pki.signer.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


# ---------------------------------------------------------------- small threaded servers

class Server:
    """A ThreadingHTTPServer on 127.0.0.1 with a handler class; ``up=False`` binds the port
    but does not listen (connections are refused) until ``come_up()``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], up: bool = True, port: int = 0) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler, bind_and_activate=False)
        self.httpd.daemon_threads = True
        self.httpd.allow_reuse_address = True
        self.httpd.server_bind()
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread: threading.Thread | None = None
        if up:
            self.come_up()

    def come_up(self) -> None:
        self.httpd.server_activate()
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self.thread:
            self.httpd.shutdown()
            self.thread.join(10)
        self.httpd.server_close()


class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def owner(self) -> Any:
        return self.server.owner  # type: ignore[attr-defined]

    def reply(self, status: int, body: bytes = b"", content_type: str = "application/json") -> None:
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class Route:
    body: bytes
    die_after: int | None = None  # cut the connection after this many body bytes ...
    die_times: int = 1  # ... on this many requests
    ranges: bool = True  # honour Range requests (resume)
    hold: threading.Event | None = None  # wait for this before answering
    status: int = 200


class ModelHandler(Quiet):
    def do_GET(self) -> None:
        owner: ModelServer = self.owner
        route = owner.routes.get(self.path.split("?")[0])
        owner.record(self.path, self.headers.get("Range"))
        if route is None:
            self.reply(404)
            return
        if route.hold is not None:
            route.hold.wait(120)
        if route.status != 200:
            self.reply(route.status)
            return
        body, start = route.body, 0
        rng = self.headers.get("Range", "")
        if route.ranges and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if route.die_after is not None and route.die_times > 0:
            route.die_times -= 1
            self.wfile.write(body[start:start + route.die_after])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body[start:])


class ModelServer(Server):
    def __init__(self, up: bool = True) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.seen = threading.Condition()
        super().__init__(ModelHandler, up)

    def record(self, path: str, rng: str | None) -> None:
        with self.seen:
            self.requests.append((path, rng))
            self.seen.notify_all()

    def wait_requests(self, n: int, timeout: float = 60) -> None:
        with self.seen:
            if not self.seen.wait_for(lambda: len(self.requests) >= n, timeout):
                raise AssertionError(f"the server saw {len(self.requests)} requests, expected {n}")


class TokenHandler(Quiet):
    def do_GET(self) -> None:
        owner: TokenService = self.owner
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        auth = self.headers.get("Authorization", "")
        owner.calls.append({"auth": bool(auth), "service": query.get("service", [""])[0],
                            "scope": query.get("scope", [])})
        if auth != "Basic " + base64.b64encode(f"{owner.user}:{owner.password}".encode()).decode():
            self.reply(401)
            return
        self.reply(200, json.dumps({"token": sign_token(owner.pki, query.get("service", [""])[0],
                                                        query.get("scope", []))}).encode())


class TokenService(Server):
    def __init__(self, pki: Pki, user: str, password: str) -> None:
        self.pki, self.user, self.password = pki, user, password
        self.calls: list[dict[str, Any]] = []
        super().__init__(TokenHandler)


class TamperHandler(Quiet):
    def do_GET(self) -> None:
        self._forward("GET")

    def do_HEAD(self) -> None:
        self._forward("HEAD")

    def _forward(self, method: str) -> None:
        owner: TamperProxy = self.owner
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "authorization", "range")}
        req = urllib.request.Request(owner.upstream + self.path, headers=headers, method=method)
        try:
            resp = urllib.request.urlopen(req, timeout=30)
            status, body, rh = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            status, body, rh = e.code, e.read(), e.headers
        if status == 200 and method == "GET" and owner.tamper in self.path:
            body = body[:-1] + bytes([body[-1] ^ 0xFF])
        self.send_response(status)
        for k in ("Content-Type", "Docker-Content-Digest", "WWW-Authenticate"):
            if rh.get(k):
                self.send_header(k, rh[k])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method == "GET":
            self.wfile.write(body)


class TamperProxy(Server):
    """Forwards to a registry; flips the last byte of GET bodies whose path contains ``tamper``."""

    def __init__(self, upstream: str, tamper: str) -> None:
        self.upstream, self.tamper = upstream, tamper
        super().__init__(TamperHandler)


class KubeHandler(Quiet):
    def do_PATCH(self) -> None:
        owner: KubeApi = self.owner
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        owner.patches.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                              "auth": self.headers.get("Authorization"), "body": json.loads(body)})
        self.reply(200, b"{}")


class KubeApi(Server):
    """Records ConfigMap merge patches the way the API server would receive them."""

    def __init__(self) -> None:
        self.patches: list[dict[str, Any]] = []
        super().__init__(KubeHandler)


# ---------------------------------------------------------------- the registry process

@dataclass
class Registry:
    workdir: Path
    auth: dict[str, Any] | None = None
    pki: Pki | None = None
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    push_headers: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.pki else 'http'}://{self.host}"

    def context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=str(self.pki.ca_pem)) if self.pki else None

    def start(self) -> Registry:
        binary = registry_binary()
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(5):  # another process may take the free port first
            self.port = free_port()
            http: dict[str, Any] = {"addr": self.host}
            if self.pki:
                http["tls"] = {"certificate": str(self.pki.cert_pem), "key": str(self.pki.key_pem)}
            config = {"version": 0.1, "log": {"level": "error", "accesslog": {"disabled": True}},
                      "storage": {"filesystem": {"rootdirectory": str(self.workdir / "data")},
                                  "delete": {"enabled": True},
                                  "maintenance": {"uploadpurging": {"enabled": False}}},
                      "http": http}
            if self.auth:
                config["auth"] = self.auth
            cfg = self.workdir / "config.yml"
            cfg.write_text(json.dumps(config))  # JSON is YAML
            log = open(self.workdir / "registry.log", "ab")  # noqa: SIM115
            self.proc = subprocess.Popen([binary, "serve", str(cfg)], stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
            log.close()
            if self._wait_ready():
                return self
            self.stop()
        raise AssertionError(f"docker-registry did not start: {(self.workdir / 'registry.log').read_text()[-2000:]}")

    def _wait_ready(self, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            try:
                urllib.request.urlopen(self.url + "/v2/", timeout=5, context=self.context()).close()
                return True
            except urllib.error.HTTPError as e:
                if e.code == 401:
                    return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    # ---- a minimal OCI push client, for artifacts oras does not make (ModelPack, crafted)

    def _open(self, url: str, method: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        req = urllib.request.Request(url, data=data, method=method, headers={**self.push_headers, **(headers or {})})
        return urllib.request.urlopen(req, timeout=30, context=self.context())

    def push_blob(self, repo: str, data: bytes) -> dict[str, Any]:
        import hashlib

        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with self._open(f"{self.url}/v2/{repo}/blobs/uploads/", "POST", b"") as resp:
            location = urllib.parse.urljoin(self.url, resp.headers["Location"])
        sep = "&" if "?" in location else "?"
        with self._open(f"{location}{sep}digest={digest}", "PUT", data,
                        {"Content-Type": "application/octet-stream"}):
            pass
        return {"digest": digest, "size": len(data)}

    def push_manifest(self, repo: str, ref: str, manifest: dict[str, Any]) -> str:
        import hashlib

        body = json.dumps(manifest, separators=(",", ":")).encode()
        with self._open(f"{self.url}/v2/{repo}/manifests/{ref}", "PUT", body, {"Content-Type": OCI_MANIFEST}):
            pass
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def push_artifact(self, repo: str, ref: str, layers: list[tuple[bytes, str, dict[str, str]]]) -> str:
        """Push layers (bytes, mediaType, annotations) with an empty config; return the manifest digest."""
        config = self.push_blob(repo, b"{}")
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "artifactType": "application/vnd.cncf.model.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.empty.v1+json", **config},
                    "layers": [{"mediaType": media, **self.push_blob(repo, data), "annotations": notes}
                               for data, media, notes in layers]}
        return self.push_manifest(repo, ref, manifest)

    def digest_of(self, repo: str, ref: str) -> str:
        with self._open(f"{self.url}/v2/{repo}/manifests/{ref}", "HEAD", headers={"Accept": OCI_MANIFEST}) as r:
            return str(r.headers["Docker-Content-Digest"])


def oras_push(registry: Registry, src: Path, repo: str, tag: str, *names: str) -> str:
    """Push files/directories under ``src`` with the oras client; return the manifest digest."""
    import oras.client

    client = oras.client.OrasClient(hostname=registry.host, insecure=True)
    with contextlib.chdir(src):
        client.push(files=list(names), target=f"{registry.host}/{repo}:{tag}")
    return registry.digest_of(repo, tag)
