"""Remote URLs and push credentials: tokens reach git only through the environment.

A token comes from I4QEW_PUSH_TOKEN (fallback I4QEW_GITLAB_TOKEN, then
CI_JOB_TOKEN) or from the userinfo of an http(s) remote URL (GitLab CI's own
`origin` carries the job token there). Either way it is handed to git as an
`http.<url>.extraHeader` through GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/VALUE_n, so it
never appears on a command line, in a URL git prints, or in a file; every text
we relay passes through `i4qew.text.redact` first.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from i4qew.text import strip_userinfo

TOKEN_VARIABLES = ("I4QEW_PUSH_TOKEN", "I4QEW_GITLAB_TOKEN", "CI_JOB_TOKEN")
# GitLab accepts any user name with an access token, but the job token only
# with this one.
JOB_TOKEN_USER = "gitlab-ci-token"
TOKEN_USER = "oauth2"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
def is_url(remote: str) -> bool:
    """A remote given as a URL or a path rather than the name of a configured remote."""
    return "://" in remote or remote.startswith(("/", ".", "~")) or ":" in remote


@dataclass(frozen=True)
class Access:
    url: str  # what git is given: http(s) URLs never carry userinfo
    display: str  # safe to print
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


def _env_token(environ: Mapping[str, str]) -> tuple[str, str] | None:
    for name in TOKEN_VARIABLES:
        token = environ.get(name, "")
        if token:
            user = environ.get("I4QEW_PUSH_USER") or (JOB_TOKEN_USER if name == "CI_JOB_TOKEN" else TOKEN_USER)
            return user, token
    return None


def access_for(url: str, environ: Mapping[str, str]) -> Access:
    """How to reach `url`: the URL for git, its printable form, and the auth environment."""
    display = strip_userinfo(url)
    parts = urlsplit(url) if "://" in url else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return Access(url, display)
    url_user = unquote(parts.username) if parts.username else None
    url_secret = unquote(parts.password) if parts.password else None
    host = parts.hostname
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    # Tokens from the environment go to https remotes, and to plain http only on
    # this machine (tests, local mirrors): never in clear text over a network.
    env_token = _env_token(environ)
    if env_token and (parts.scheme == "https" or host in LOOPBACK_HOSTS):
        user, secret = env_token
    elif url_user is not None:
        user, secret = url_user, url_secret or ""
    else:
        return Access(clean, display)
    header_value = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
    count = environ.get("GIT_CONFIG_COUNT", "0").strip()
    start = int(count) if count.isdigit() else 0
    env = {
        "GIT_CONFIG_COUNT": str(start + 1),
        f"GIT_CONFIG_KEY_{start}": f"http.{parts.scheme}://{netloc}/.extraHeader",
        f"GIT_CONFIG_VALUE_{start}": f"Authorization: Basic {header_value}",
    }
    secrets = tuple(s for s in (secret, header_value, url_user if url_secret is None else None) if s)
    return Access(clean, display, env, secrets)
