"""OCI registry authentication: anonymous, Basic, and the Docker token flow (a 401 with
``WWW-Authenticate: Bearer realm=...,service=...,scope=...``), with credentials read from a
mounted docker ``config.json`` (a ``kubernetes.io/dockerconfigjson`` Secret).

Nothing here logs or raises a message that contains a credential or a token.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from stage_net import FetchError, Http, HttpStatusError, read_small

_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^",\s]*))\s*,?')
DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class Credential:
    username: str = ""
    password: str = ""
    identity_token: str = ""

    def basic(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


def load_credential(path: str | None, registry: str) -> Credential | None:
    """The entry of ``registry`` in a docker config.json, or None (anonymous)."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FetchError(f"pull secret {path} unreadable ({e.__class__.__name__})", transient=False) from None
    auths = data.get("auths") if isinstance(data, dict) else None
    if not isinstance(auths, dict):
        raise FetchError(f"pull secret {path} has no 'auths' object", transient=False)
    for key, entry in auths.items():
        if isinstance(key, str) and isinstance(entry, dict) and _host(key) == _host(registry):
            return _credential(entry, path)
    return None


def _host(key: str) -> str:
    host = urlsplit(key if "://" in key else "//" + key).netloc.lower()
    return "docker.io" if host in DOCKER_HUB else host


def _credential(entry: dict[str, object], path: str) -> Credential:
    user, password = entry.get("username"), entry.get("password")
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            user, _, password = base64.b64decode(auth, validate=True).decode().partition(":")
        except ValueError:
            raise FetchError(f"pull secret {path}: an 'auth' value is not base64 of user:password",
                             transient=False) from None
    token = entry.get("identitytoken")
    return Credential(user if isinstance(user, str) else "", password if isinstance(password, str) else "",
                      token if isinstance(token, str) else "")


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if not m or m.end() == pos:
            break
        value = m.group(2) if m.group(2) is not None else m.group(3)
        params[m.group(1).lower()] = re.sub(r"\\(.)", r"\1", value or "")
        pos = m.end()
    return scheme.lower(), params


class Authenticator:
    """Answers a registry's 401 challenge with an Authorization header, cached per scope."""

    def __init__(self, http: Http, registry: str, credential: Credential | None) -> None:
        self.http = http
        self.registry = registry
        self.credential = credential
        self.header: str | None = None

    def answer(self, challenge: str | None, scope: str) -> str:
        scheme, params = parse_challenge(challenge or "")
        if scheme == "basic":
            if not self.credential or not self.credential.username:
                raise FetchError(f"registry {self.registry} wants Basic credentials and the pull secret "
                                 "has none for it", transient=False)
            self.header = self.credential.basic()
        elif scheme == "bearer" and params.get("realm"):
            self.header = "Bearer " + self._token(params, scope)
        else:
            raise FetchError(f"registry {self.registry} answered 401 without a usable challenge",
                             transient=False)
        return self.header

    def _token(self, params: dict[str, str], scope: str) -> str:
        realm = params["realm"]
        if not realm.startswith(("https://", "http://")):
            raise FetchError(f"registry {self.registry}: token realm is not an http(s) URL", transient=False)
        query = {k: v for k, v in (("service", params.get("service", "")), ("scope", scope)) if v}
        cred = self.credential
        try:
            if cred and cred.identity_token:
                form = urlencode({**query, "grant_type": "refresh_token", "client_id": "i4qew-stager",
                                  "refresh_token": cred.identity_token}).encode()
                resp = self.http.open(realm, {"Content-Type": "application/x-www-form-urlencoded"}, data=form)
            else:
                secret = {"Authorization": cred.basic()} if cred and cred.username else {}
                sep = "&" if "?" in realm else "?"
                resp = self.http.open(realm + sep + urlencode(query), {}, secret=secret)
        except HttpStatusError as e:
            denied = e.status in (401, 403)
            why = "refused the pull secret's credentials" if denied else f"answered HTTP {e.status}"
            raise FetchError(f"token service of {self.registry} {why}", transient=e.transient) from None
        body = read_small(resp, 1 << 20, realm)
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise FetchError(f"token service of {self.registry} sent no token", transient=False)
        return token
