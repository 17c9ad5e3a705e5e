"""The small judges the rules are built on, table-driven; branch names against real git."""

from __future__ import annotations

import subprocess

import pytest

from i4qew.rules.environments import branch_problem
from i4qew.rules.images import ImageRef, parse_image
from i4qew.rules.ingress import host_problem, path_problem
from i4qew.rules.mounts import absolute_path_problem, configmap_key_problem
from i4qew.rules.resources import is_extended
from i4qew.rules.secrets import credential_name
from tests.support.tools import require

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(("ref", "name", "tag", "digest"), [
    ("nginx", "nginx", None, None),
    ("nginx:1.25", "nginx", "1.25", None),
    ("library/nginx:latest", "library/nginx", "latest", None),
    ("registry.gitlab.com/i4q/lrt/sktime:1.2.0", "registry.gitlab.com/i4q/lrt/sktime", "1.2.0", None),
    ("localhost:5000/team/app", "localhost:5000/team/app", None, None),
    ("[::1]:5000/app:v1", "[::1]:5000/app", "v1", None),
    (f"r.example.com/app@{DIGEST}", "r.example.com/app", None, DIGEST),
    (f"r.example.com/app:1.0@{DIGEST}", "r.example.com/app", "1.0", DIGEST),
    ("Registry.Example.com/app:1", "Registry.Example.com/app", "1", None),  # hosts are case-insensitive
    ("team__x/e---f.g_h:V1_x.y-z", "team__x/e---f.g_h", "V1_x.y-z", None),
])
def test_valid_image_references(ref: str, name: str, tag: str | None, digest: str | None) -> None:
    assert parse_image(ref) == ImageRef(name, tag, digest)


@pytest.mark.parametrize(("ref", "reason"), [
    ("", "is empty"),
    ("r.io/app:1 ", "contains whitespace"),
    ("https://r.io/app:1", "has a URL scheme"),
    ("r.io/Team/app:1", "upper-case letters in the repository path"),
    ("r.io/app@sha256:abc", "invalid digest"),
    ("r.io/app@sha512:" + "a" * 128, "invalid digest"),
    ("r.io/app:", "invalid tag"),
    ("r.io/app:.hidden", "invalid tag"),
    ("r.io/app:" + "a" * 129, "invalid tag"),
    ("r.io:port/app", "invalid registry host"),
    ("my_registry.example.com/app", "invalid registry host"),
    ("r.io//app", "empty path component"),
    ("r.io/-app", "invalid path component"),
    ("r.io/" + "a" * 260, "at most 255"),
])
def test_invalid_image_references(ref: str, reason: str) -> None:
    got = parse_image(ref)
    assert isinstance(got, str) and reason in got


BRANCHES = ["acm-dev", "production", "acm/dev", "release/2024.03", "a", "x-y_z", "acm dev", "-dev", "HEAD",
            "@", "a..b", "a@{b", "/acm", "acm/", "acm//dev", "acm.", ".acm", "acm/.dev", "acm.lock",
            "acm/x.lock/y", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b", "a\x01b", "a\x7fb", "", "main"]


@pytest.mark.parametrize("name", BRANCHES)
def test_branch_names_agree_with_git_check_ref_format(name: str) -> None:
    git = require("git")
    proc = subprocess.run([git, "check-ref-format", "--branch", name], capture_output=True, timeout=30, check=False)
    assert (branch_problem(name) is None) == (proc.returncode == 0), (name, branch_problem(name))


@pytest.mark.parametrize(("name", "secret"), [
    ("DB_PASSWORD", True), ("dbPassword", True), ("MQTT_PASSWD", True), ("HF_TOKEN", True),
    ("authToken", True), ("API_KEY", True), ("apiKey", True), ("APIKEY", True), ("SSHKEY", True),
    ("AWS_SECRET_ACCESS_KEY", True), ("CLIENT_CREDENTIALS", True), ("SIGNING_KEY", True),
    ("MAX_TOKENS", False), ("TOKENIZER", False), ("KEYCLOAK_URL", False), ("MONKEY_MODE", False),
    ("TOKEN_FILE", False), ("SECRET_NAME", False), ("AWS_ACCESS_KEY_ID", False), ("KEY_SIZE", False),
    ("LOG_LEVEL", False), ("PASSWORD_MIN_LENGTH", False),
])
def test_credential_names(name: str, secret: bool) -> None:
    assert credential_name(name) is secret


@pytest.mark.parametrize(("path", "ok"), [
    ("/", True), ("/api/ui", True), ("/api/ui/", True), ("/a.b/c-d", True),
    ("api", False), ("/a b", False), ("/a//b", False), ("/a/./b", False), ("/a/../b", False), ("/a/..", False),
])
def test_ingress_paths(path: str, ok: bool) -> None:
    assert (path_problem(path) is None) is ok


@pytest.mark.parametrize(("host", "ok"), [
    ("ui.plant.example.com", True), ("*.plant.example.com", True), ("localhost", True),
    ("UI.example.com", False), ("ui.*.example.com", False), ("*", False), ("10.0.0.1", False),
    ("[::1]", False), ("ui.example.com:8443", False), ("https://ui.example.com", False), ("ui_x.example.com", False),
])
def test_ingress_hosts(host: str, ok: bool) -> None:
    assert (host_problem(host) is None) is ok


@pytest.mark.parametrize(("key", "ok"), [
    ("app.yaml", True), ("labels.txt", True), (".env", True), ("a-b_c.d", True),
    ("conf/app.yaml", False), ("..data", False), ("..", False), (".", False), ("a b", False), ("x" * 254, False),
])
def test_configmap_keys(key: str, ok: bool) -> None:
    assert (configmap_key_problem(key) is None) is ok


@pytest.mark.parametrize(("path", "ok"), [
    ("/models/lrt", True), ("/var/lib/i4q/models/", True),
    ("models/lrt", False), ("/", False), ("/a/../b", False), ("/a b", False),
])
def test_absolute_paths(path: str, ok: bool) -> None:
    assert (absolute_path_problem(path) is None) is ok


@pytest.mark.parametrize(("name", "extended"), [
    ("nvidia.com/gpu", True), ("amd.com/gpu", True), ("cpu", False), ("memory", False),
    ("kubernetes.io/batch", False), ("requests.kubernetes.io/x", False),
])
def test_extended_resources(name: str, extended: bool) -> None:
    assert is_extended(name) is extended
