"""Secrets: tokens only through the environment, and never in any output.

- `i4qew mr-note` failing against the fake GitLab (401, 500), a closed port and a token
  that cannot go into a header: the token appears in no byte of stdout or stderr, raw,
  URL-encoded or stripped.
- `i4qew validate` / `render` on a repository whose i4qew.yaml git URL embeds a token.
- A credential in every place a declaration can hold one is flagged by plaintext-secret,
  and no problem line (of any rule) prints it.
- No command takes a token as an option: it would land in shell history and CI logs.
(publish/promote token tests live with gitops: tests/integration/test_gitops_secrets.py.)
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.cli.main import cli
from i4qew.text import (
    CREDENTIAL_PATTERNS,
    REDACTED,
    _may_hold_credential,
    find_credential,
    mask_credentials,
)
from tests.support.gitlab_fake import FakeGitLab, serve
from tests.support.hostile.corpus import wl
from tests.support.hostile.repo import REPOSITORY, write_repo
from tests.support.hostile.runner import run_i4qew

# distinctive, with characters URL-encoding changes, so an encoded leak is caught too
TOKEN = "glpat-i4qewLEAK/7f3c+9d2e=Zq"
FORMS = {TOKEN, quote(TOKEN, safe=""), quote(TOKEN), "i4qewLEAK"}


def leaked(text: str, forms: set[str] = FORMS) -> list[str]:
    return [f for f in forms if f and f in text]


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    with serve(FakeGitLab(token=TOKEN)) as fake:
        fake.add_mr("feature", "main")
        yield fake


def note_env(url: str, token: str = TOKEN) -> dict[str, str]:
    return {"CI_SERVER_URL": url, "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "1",
            "I4QEW_GITLAB_TOKEN": token, "NO_PROXY": "127.0.0.1,localhost"}


@pytest.mark.parametrize("status", [401, 403, 404, 500, 502])
def test_mr_note_failures_never_print_the_token(gitlab: FakeGitLab, tmp_path: Path, status: int) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n\nthe plan mentions nothing secret\n", encoding="utf-8")
    gitlab.fail_with = status  # the fake quotes the token back in its error body
    done = run_i4qew("mr-note", str(plan), env=note_env(gitlab.url))
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.startswith("i4qew: error: GitLab ") and f"({status}" in done.stderr
    assert leaked(done.stdout + done.stderr) == []
    assert "Traceback" not in done.stderr


def test_mr_note_against_a_closed_port_never_prints_the_token(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n", encoding="utf-8")
    # the token in the URL too: a misconfigured CI_SERVER_URL is printed in the message
    done = run_i4qew("mr-note", str(plan), env=note_env(f"http://oauth2:{TOKEN}@127.0.0.1:{port}"))
    assert done.returncode == 4, done.stdout + done.stderr
    assert "cannot reach GitLab" in done.stderr
    assert leaked(done.stdout + done.stderr) == []


@pytest.mark.parametrize("token", [TOKEN + "\n", "glpat-i4qewLEAK\r\nX-Injected: 1", "glpat-i4qewLEAK\x1bx"])
def test_a_token_that_cannot_be_a_header_is_refused_without_echo(gitlab: FakeGitLab, tmp_path: Path, token: str) -> None:
    """A trailing newline (a token read from a file) is stripped; a line break inside it is
    refused in one line, not a ValueError from the HTTP client that quotes the header."""
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n", encoding="utf-8")
    done = run_i4qew("mr-note", str(plan), env=note_env(gitlab.url, token))
    forms = {*FORMS, token.strip(), quote(token, safe="")}
    assert leaked(done.stdout + done.stderr, forms) == []
    if token.strip() == TOKEN:
        assert done.returncode == 0 and "note created" in done.stdout
    else:
        assert done.returncode == 4
        assert done.stderr == ("i4qew: error: I4QEW_GITLAB_TOKEN holds a line break or another control "
                               "character; set it to the access token alone\n")


def test_no_command_takes_a_token_option() -> None:
    ctx = click.Context(cli)
    names = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None
        names += [opt for p in command.params for opt in getattr(p, "opts", [])]
    assert names and not [n for n in names if any(w in n.lower() for w in ("token", "password", "secret"))]


# --- the git URL of i4qew.yaml --------------------------------------------------------------------

GIT_TOKEN = "glpat-i4qewLEAKzx8vQ2mN4pL7"  # as GitLab issues them: no '/' (a URL would need it encoded)
GIT_URLS = [
    f"https://oauth2:{GIT_TOKEN}@gitlab.example.com/plant/edge.git",
    f"https://{GIT_TOKEN}@gitlab.example.com/plant/edge.git",
    "https://deploy:i4qewLEAKs3cretPW@gitlab.example.com/plant/edge.git",
    "https://i4qewLEAK0123456789abcdef0123456789abcdef@gitlab.example.com/plant/edge.git",
]


@pytest.mark.slow
@pytest.mark.parametrize("url", GIT_URLS)
def test_a_token_in_the_git_url_is_flagged_not_printed(tmp_path: Path, url: str) -> None:
    root = write_repo(tmp_path / "repo", {"i4qew.yaml": REPOSITORY.replace(
        "url: https://gitlab.example.com/plant/edge.git", f"url: {url}"), "workloads/app.yaml": wl()})
    for command in (["validate"], ["render", "--env", "dev", "-o", str(tmp_path / "out")]):
        done = run_i4qew(*command, "-C", str(root))
        assert done.returncode == 1
        assert any(line.startswith("i4qew.yaml:7:") and "[plaintext-secret]" in line and "spec.git.url" in line
                   for line in done.stdout.splitlines()), done.stdout
        assert leaked(done.stdout + done.stderr, {*FORMS, url}) == []
    assert not (tmp_path / "out").exists()


# --- a credential in every place of a declaration ---------------------------------------------------

SECRETS = {
    "gitlab": "glpat-i4qewLEAKzx8vQ2mN4pL7",
    "aws": "AKIAI4QEWLEAK0EXAMPL",
    "github": "ghp_i4qewLEAK" + "a1B2" * 7,
    "url-password": "postgres://app:i4qewLEAKpw@db.plant.svc/x",
    "private-key": "-----BEGIN RSA PRIVATE KEY-----\ni4qewLEAKMIIEvQIBADANBgkq\n-----END RSA PRIVATE KEY-----\n",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJpNHFldyI6ImxlYWsifQ.i4qewLEAKdozjgNryP4J3jVmNHl0w",
    "slack": "xoxb-1234567890-i4qewLEAK",
    "hugging-face": "hf_i4qewLEAK" + "a" * 25,
}


def places(secret: str) -> dict[str, str]:
    """One workload per place a credential can be written; each file flags it."""
    s = secret.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    q = f'"{s}"'
    return {
        "env-value": wl(f"  env: [{{name: MODE, value: {q}}}]\n"),
        "env-value-override": wl(f"  environments:\n    dev:\n      env: [{{name: MODE, value: {q}}}]\n"),
        "args": wl(f"  args: [--token, {q}]\n"),
        "command": wl(f"  command: [sh, -c, {q}]\n"),
        "probe-command": wl(f"  probes: {{liveness: {{exec: {{command: [check, {q}]}}}}}}\n"),
        "config-data": wl(f"  config: {{mountPath: /etc/app, data: {{app.conf: {q}}}}}\n"),
        "config-data-key": wl(f"  config: {{mountPath: /etc/app, data: {{{q}: x}}}}\n"),
        "annotation-value": wl(meta=f"  annotations: {{example.com/note: {q}}}\n"),
        "annotation-key": wl(meta=f"  annotations: {{{q}: x}}\n"),
        "label-value": wl(meta=f"  labels: {{note: {q}}}\n"),
        "service-annotation": wl(f"  ports: [{{name: http, containerPort: 80}}]\n"
                                 f"  service: {{port: 80, annotations: {{example.com/n: {q}}}}}\n"),
        "ingress-annotation": wl(f"  ports: [{{name: http, containerPort: 80}}]\n  service: {{port: 80}}\n"
                                 f"  ingress: {{path: /, annotations: {{example.com/n: {q}}}}}\n"),
        "image": wl(image=f'"registry.example.com/plant/{s}:1.0"'),
        "secret-name": wl("  imagePullSecrets: [" + q + "]\n"),
    }


def _flagged(name: str, secret: str, tmp_path: Path) -> None:
    files = {f"workloads/{place}.yaml": text.replace("name: app", f"name: {place[:40]}")
             for place, text in places(secret).items()}
    files["workloads/files/secret.conf"] = f"token = {secret}\n"
    files["workloads/config-file.yaml"] = wl("  config: {mountPath: /etc/app, files: {a.conf: workloads/files/secret.conf}}\n",
                                             name="config-file")
    root = write_repo(tmp_path / "repo", files)
    done = run_i4qew("validate", "-C", str(root))
    assert done.returncode == 1
    flagged = {line.split(":", 1)[0] for line in done.stdout.splitlines() if "[plaintext-secret]" in line}
    expected = {f"workloads/{p}.yaml" for p in places(secret)} | {"workloads/files/secret.conf"}
    missing = sorted(expected - flagged)
    assert not missing, f"{name}: not flagged in {missing}\n{done.stdout}"
    assert leaked(done.stdout + done.stderr, {"i4qewLEAK", secret, secret.splitlines()[0]}) == [], done.stdout


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_credential_anywhere_is_flagged_and_never_printed(tmp_path: Path, name: str) -> None:
    _flagged(name, SECRETS[name], tmp_path)


@pytest.mark.parametrize("image", ["bob:i4qewLEAKpw@registry.example.com/plant/app:1.0",
                                   "i4qewLEAKtoken@registry.example.com/plant/app:1.0",
                                   "https://bob:i4qewLEAKpw@registry.example.com/plant/app:1.0"])
def test_credentials_in_an_image_reference(tmp_path: Path, image: str) -> None:
    root = write_repo(tmp_path / "repo", {"workloads/app.yaml": wl(image=image)})
    done = run_i4qew("validate", "-C", str(root))
    assert done.returncode == 1 and "[plaintext-secret] the value of spec.image" in done.stdout, done.stdout
    assert leaked(done.stdout, {"i4qewLEAK", image}) == [], done.stdout


# --- the masking itself ---------------------------------------------------------------------------

@pytest.mark.slow
@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(CREDENTIAL_PATTERNS).flatmap(lambda p: st.from_regex(p[1], fullmatch=True)),
       st.text(max_size=20), st.text(max_size=20))
def test_whatever_the_patterns_find_is_masked(token: str, before: str, after: str) -> None:
    """The cheap prefilter never hides a credential the patterns would find, and a message
    quoting it shows [redacted] instead."""
    text = f"{before} '{token}' {after}"
    assert _may_hold_credential(token)
    if find_credential(text) is not None:
        masked = mask_credentials(text)
        assert REDACTED in masked and find_credential(masked) is None


def test_a_private_key_is_masked_to_its_end() -> None:
    message = "Secret name '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq\\n-----END PRIVATE KEY-----' is invalid"
    assert mask_credentials(message) == "Secret name '[redacted]' is invalid"
    cut = "config file name '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq…' must consist of letters"
    assert mask_credentials(cut) == "config file name '[redacted]…' must consist of letters"
