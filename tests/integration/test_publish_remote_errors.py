"""Publishing to remotes that fail: unreachable, or refusing the login (git http-backend
behind Basic auth on 127.0.0.1). Exit 4, one clear line, no secret, no traceback."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.git_remote import (
    HttpGit,
    clean_environ,
    free_port,
    git,
    head,
    http_git,
    workload_repo,
)

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)

TOKEN = "glpat-Sup3rSecretToken-4i4qew"  # a test token
USER = "oauth2"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HttpGit]:
    with http_git(tmp_path / "srv", USER, TOKEN) as got:
        got.bare("workloads.git")
        yield got


@pytest.fixture
def work(tmp_path: Path, server: HttpGit) -> Path:
    url = server.url("workloads.git")
    repo = workload_repo(tmp_path / "work", url.replace("http://", f"http://{USER}:{TOKEN}@"))
    git(repo, "remote", "set-url", "origin", url)  # no credentials stored in the clone
    return repo


def publish(repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "i4qew", "publish", "--env", "dev", *args], cwd=repo,
                          env=clean_environ(**env), capture_output=True, text=True, check=False, timeout=120)


def assert_clean_failure(done: subprocess.CompletedProcess[str], *secrets: str) -> str:
    output = done.stdout + done.stderr
    assert done.returncode == 4, output
    assert "Traceback" not in output
    for secret in secrets:
        assert secret not in output
        assert base64.b64encode(f"{USER}:{secret}".encode()).decode() not in output
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("i4qew: error: "), done.stderr
    return lines[0]


def test_an_unreachable_remote_exits_4(work: Path) -> None:
    closed = free_port()
    url = f"http://deploy:hunter2-password@127.0.0.1:{closed}/workloads.git"
    line = assert_clean_failure(publish(work, "--remote", url, I4QEW_PUSH_TOKEN=TOKEN), TOKEN, "hunter2-password")
    assert "cannot reach the git remote" in line and f"127.0.0.1:{closed}" in line
    daemon_url = f"git://127.0.0.1:{closed}/workloads.git"
    assert "cannot reach" in assert_clean_failure(publish(work, "--remote", daemon_url))


def test_a_rejected_token_exits_4_without_printing_it(work: Path, server: HttpGit) -> None:
    wrong = "glpat-WrongToken-0123456789"
    line = assert_clean_failure(publish(work, I4QEW_PUSH_TOKEN=wrong), wrong, TOKEN)
    assert "refused authentication" in line
    # the token did reach the server, as a header (never in a URL or an argument)
    assert "Basic " + base64.b64encode(f"{USER}:{wrong}".encode()).decode() in server.auth_headers


def test_a_rejected_password_in_the_remote_url_exits_4_without_printing_it(work: Path, server: HttpGit) -> None:
    url = server.url("workloads.git").replace("http://", "http://deployer:wrong-pass-w0rd@")
    git(work, "remote", "set-url", "origin", url)
    line = assert_clean_failure(publish(work), "wrong-pass-w0rd")
    assert "refused authentication" in line and "deployer" not in line


def test_no_credentials_at_all_exits_4(work: Path) -> None:
    line = assert_clean_failure(publish(work))
    assert "refused authentication" in line


def test_the_token_from_the_environment_publishes(work: Path, server: HttpGit, tmp_path: Path) -> None:
    done = publish(work, I4QEW_PUSH_TOKEN=TOKEN)
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout + done.stderr
    assert head(server.server.root / "workloads.git", "refs/heads/acm-dev") is not None
    assert TOKEN not in (work / ".git" / "config").read_text()
    assert not any(TOKEN.encode() in p.read_bytes() for p in (work / ".git").rglob("*") if p.is_file())


def test_the_job_token_is_used_as_gitlab_ci_token(tmp_path: Path) -> None:
    job_token = "job-token-abcdef123456"
    with http_git(tmp_path / "srv", "gitlab-ci-token", job_token) as server:
        server.bare("workloads.git")
        url = server.url("workloads.git")
        repo = workload_repo(tmp_path / "work", url.replace("http://", f"http://gitlab-ci-token:{job_token}@"))
        git(repo, "remote", "set-url", "origin", url)
        done = publish(repo, CI_JOB_TOKEN=job_token)
        assert done.returncode == 0, done.stderr
        assert job_token not in done.stdout + done.stderr
