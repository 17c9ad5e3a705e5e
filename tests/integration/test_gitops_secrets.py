"""Tokens in failing publishes and promotions (issue 7, part 4), against real git.

Distinctive tokens go in I4QEW_PUSH_TOKEN, I4QEW_GITLAB_TOKEN, CI_JOB_TOKEN and
the password of a remote URL; the runs fail every way we can make them (a wrong
password on git http-backend, an unreachable remote, the remote hanging up
mid-pack, a process SIGKILLed before and during its push, the GitLab API
answering 401 and 500 - the latter quoting the token back), then succeed. The
token, raw, URL-encoded and base64 as in a Basic auth header, must be in none of
stdout, stderr, the commits, the repository's git config, nor any file under
the test's folder (HOME with a `store` credential helper and TMPDIR included).
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from i4qew.gitops.publish import PublishRequest, publish
from tests.support.failure_injection import (
    Faults,
    assert_not_in_files,
    assert_not_in_repo,
    assert_not_in_text,
    faulty_http_git,
    kill_before_push,
    one_error_line,
    secret_forms,
    start_cli,
)
from tests.support.git_remote import (
    HttpGit,
    clean_environ,
    free_port,
    git,
    make_bare,
    workload_repo,
)
from tests.support.gitlab_fake import FakeGitLab, serve

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)

PUSH = "glpat-PushT0ken-Secr3tsTest-x9"  # the one the git server accepts (user oauth2)
API = "glpat-ApiT0ken-Secr3tsTest-q7"  # the one the fake GitLab accepts
WRONG = "glpat-Wr0ngT0ken-Secr3tsTest-z5"
JOB = "jobT0ken-Secr3tsTest-k3"
PASSWORD = "p@ss:W0rd/Secr3tsTest%+"  # in a remote URL, where it must be percent-encoded
URL_USER = "deployer"
SECRETS = (PUSH, API, WRONG, JOB, PASSWORD)
USERS = ("oauth2", "gitlab-ci-token", URL_USER)


@dataclass
class World:
    tmp: Path
    server: HttpGit
    faults: Faults
    bare: Path
    url: str
    work: Path
    env: dict[str, str]  # HOME and TMPDIR inside tmp
    outputs: list[tuple[str, str]]  # (what ran, its stdout + stderr)

    def start(self, args: Sequence[str], **env: str) -> subprocess.Popen[str]:
        return start_cli(self.work, args, {**self.env, **env})

    def finish(self, what: str, proc: subprocess.Popen[str], code: int) -> str:
        out, err = proc.communicate(timeout=120)
        self.outputs.append((what, out + err))
        assert proc.returncode == code, f"{what}: {out}{err}"
        assert "Traceback" not in out + err
        return one_error_line(err) if code > 0 else out

    def check(self) -> None:
        forms = [f for secret in SECRETS for f in secret_forms(secret, USERS)]
        for what, text in self.outputs:
            assert_not_in_text(text, forms, what)
        for repo in (self.work, self.bare):
            assert_not_in_repo(repo, forms, self.env)
        assert "credential.helper=store" in git(self.work, "config", "--list", env=self.env)
        assert assert_not_in_files([self.tmp], forms) > 100


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    home, tmp = tmp_path / "home", tmp_path / "tmpdir"
    home.mkdir()
    tmp.mkdir()
    # a credential helper that writes what it is given to ~/.git-credentials: git must never get the chance
    (home / ".gitconfig").write_text("[credential]\n\thelper = store\n")
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "TMPDIR": str(tmp)}
    with faulty_http_git(tmp_path / "srv", "oauth2", PUSH) as (server, faults):
        bare = server.bare("workloads.git")
        work = workload_repo(tmp_path / "work", str(make_bare(tmp_path / "seed.git")))
        url = server.url("workloads.git")
        git(work, "remote", "set-url", "origin", url)
        yield World(tmp_path, server, faults, bare, url, work, env, [])


def with_userinfo(url: str, user: str, password: str) -> str:
    return url.replace("http://", f"http://{user}:{quote(password, safe='')}@")


def test_failing_publishes_leak_no_token(w: World) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/workloads.git"
    refused = {  # run at once: none of them changes the remote
        "wrong push token": w.start(["publish", "--env", "dev"], I4QEW_PUSH_TOKEN=WRONG),
        "wrong GitLab token used to push": w.start(["publish", "--env", "dev"], I4QEW_GITLAB_TOKEN=WRONG),
        "wrong job token": w.start(["publish", "--env", "dev"], CI_JOB_TOKEN=JOB),
        "wrong password in the remote URL": w.start(
            ["publish", "--env", "dev", "--remote", with_userinfo(w.url, URL_USER, PASSWORD)]),
        "unreachable remote": w.start(["publish", "--env", "dev", "--remote",
                                       with_userinfo(unreachable, URL_USER, PASSWORD)], I4QEW_PUSH_TOKEN=PUSH),
    }
    for what, proc in refused.items():
        line = w.finish(what, proc, 4)
        assert ("cannot reach" if what == "unreachable remote" else "refused authentication") in line, line
    # the wrong secrets did reach the server, as Basic auth headers: the checks below can fail
    sent = {base64.b64encode(f"{u}:{p}".encode()).decode()
            for u, p in (("oauth2", WRONG), ("gitlab-ci-token", JOB), (URL_USER, PASSWORD))}
    assert sent <= {h.removeprefix("Basic ") for h in w.server.auth_headers}
    # killed between its commit and its push
    killed = kill_before_push(w.work, ["publish", "--env", "dev"], w.tmp / "gate",
                              {**w.env, "I4QEW_PUSH_TOKEN": PUSH})
    w.outputs.append(("killed before its push", killed.stdout + killed.stderr))
    # killed during its push: the server holds the pack while we SIGKILL the process group
    w.faults.mode, w.faults.after_hold = "hold", "cut"
    proc = w.start(["publish", "--env", "dev"], I4QEW_PUSH_TOKEN=PUSH)
    assert w.faults.held.wait(60), "the push never arrived"
    os.killpg(proc.pid, signal.SIGKILL)
    w.faults.release.set()
    w.finish("killed during its push", proc, -signal.SIGKILL)
    assert w.faults.done.wait(60), "the held push never ended"  # before the next fault is armed
    w.faults.done.clear()
    # the remote hangs up inside the pack and goes down
    w.faults.mode, w.faults.die = "cut", True
    w.finish("remote died mid-push", w.start(["publish", "--env", "dev"], I4QEW_PUSH_TOKEN=PUSH), 4)
    assert w.faults.faults_made == 2 and git(w.bare, "for-each-ref") == ""
    w.faults.down = False
    out = w.finish("publish", w.start(["publish", "--env", "dev"], I4QEW_PUSH_TOKEN=PUSH), 0)
    assert "published acm-dev" in out
    # the same with the password in the remote URL, which must not end up in the config
    edit_values(w.work)
    good = with_userinfo(w.url, "oauth2", PUSH)
    w.finish("publish through a URL with userinfo", w.start(["publish", "--env", "dev", "--remote", good]), 0)
    w.check()


def edit_values(work: Path) -> None:
    path = work / "workloads" / "sktime.yaml"
    path.write_text(path.read_text().replace("sktime:1.2.0", "sktime:1.3.0"))
    git(work, "commit", "-q", "-am", "sktime 1.3.0")


def test_failing_promotions_leak_no_token(w: World) -> None:
    publish(PublishRequest(root=w.work, env="dev"), environ=clean_environ(I4QEW_PUSH_TOKEN=PUSH))
    fake = FakeGitLab(token="the-fake-gitlab-wants-another-token")
    with serve(fake):
        gitlab = {"CI_SERVER_URL": fake.url, "CI_PROJECT_ID": str(fake.project_id), "I4QEW_PUSH_TOKEN": PUSH,
                  "I4QEW_GITLAB_TOKEN": API}
        mr = ["promote", "--from", "dev", "--to", "production", "--merge-request"]
        wrong_push = w.start(["promote", "--from", "dev", "--to", "production"], I4QEW_PUSH_TOKEN=WRONG)
        line = w.finish("merge request, GitLab 401", w.start(mr, **gitlab), 4)
        assert "GitLab refused the token (401)" in line, line
        fake.token, fake.fail_with = API, 500  # a server error that quotes the token back
        line = w.finish("merge request, GitLab 500", w.start(mr, **gitlab), 4)
        assert "GitLab failed (500" in line, line
        assert any(path.endswith("/merge_requests") for _, path in fake.requests)
        assert "refused authentication" in w.finish("promote with a wrong token", wrong_push, 4)
    killed = kill_before_push(w.work, ["promote", "--from", "dev", "--to", "production"], w.tmp / "gate",
                              {**w.env, "I4QEW_PUSH_TOKEN": PUSH})
    w.outputs.append(("promotion killed before its push", killed.stdout + killed.stderr))
    w.faults.mode, w.faults.after_hold = "hold", "cut"
    proc = w.start(["promote", "--from", "dev", "--to", "production"], I4QEW_PUSH_TOKEN=PUSH)
    assert w.faults.held.wait(60), "the push never arrived"
    os.killpg(proc.pid, signal.SIGKILL)
    w.faults.release.set()
    w.finish("promotion killed during its push", proc, -signal.SIGKILL)
    assert w.faults.done.wait(60) and git(w.bare, "for-each-ref", "refs/heads/production") == ""
    out = w.finish("promote", w.start(["promote", "--from", "dev", "--to", "production"], I4QEW_GITLAB_TOKEN=PUSH), 0)
    assert "promoted production" in out
    w.check()
