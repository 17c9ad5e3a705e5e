"""Helpers of the pipeline tests (tests/integration/test_pipelines.py,
test_pipeline_secrets.py): a scratch workload repository whose pipelines
gitlab-ci-local runs; the `wheel` and `scratch` fixtures reach the tests through
tests/integration/conftest.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.support.gitlab_fake import FakeGitLab, serve
from tests.support.tools import ROOT

WHEELHOUSE = ROOT / ".tools" / "wheelhouse"
TOKEN = "glpat-i4qewPIPELINE-5e1b77"
PROJECT = "edge/workloads"
MARKER = "<!-- i4qew:plan:dev -->"
DECLARATIONS = ("i4qew.yaml", "workloads", "policies", "models", "clusters", ".yamllint")
# The host's own CI or GitLab settings must not leak into the simulated pipelines.
LEAKY = ("CI", "GITLAB_", "I4QEW_", "PYTHONPATH", "VIRTUAL_ENV", "GIT_")

# The pipeline tests' module mark: `pytestmark = [pytest.mark.slow, NEEDS_TOOLS]`.
NEEDS_TOOLS = pytest.mark.skipif(
    not (shutil.which("gitlab-ci-local") and shutil.which("rsync")),
    reason="gitlab-ci-local (npm install -g gitlab-ci-local@4.73.0) and rsync are needed",
)


def wheelhouse() -> Path:
    """The wheels of i4qew's runtime dependencies and build backend, fetched by
    .ci/test: the jobs install i4qew from them offline, as a user's job installs it
    from the package index (and so prove the declared dependencies suffice)."""
    if not any(WHEELHOUSE.glob("setuptools-*.whl")):
        pytest.skip(f"no wheelhouse at {WHEELHOUSE} (bash .ci/test fetches it)")
    return WHEELHOUSE


def build_wheel(out: Path) -> Path:
    """A real wheel of this tree (setuptools from the wheelhouse: no network)."""
    source = out / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "generator", source / "generator",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
         "--find-links", str(wheelhouse()), "--wheel-dir", str(out), str(source)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("i4qew-*.whl")
    return wheel


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


@dataclass
class Scratch:
    repo: Path
    remote: Path  # the bare repo behind git://127.0.0.1
    env: dict[str, str]
    gitlab: FakeGitLab

    def git(self, *args: str) -> str:
        return git(self.repo, *args, env=self.env)

    def remote_branches(self) -> set[str]:
        refs = git(self.remote, "for-each-ref", "--format=%(refname:short)", "refs/heads")
        return set(refs.split())

    def pipeline(self, *args: str, token: bool = True, protected: bool = True) -> subprocess.CompletedProcess[str]:
        """A pipeline of the checked-out branch; `protected`: GitLab treats its ref as
        protected (the default branch; an MR between protected branches), `token`: the
        protected variable I4QEW_GITLAB_TOKEN is set in the project."""
        command = [
            "gitlab-ci-local",
            "--home", str(self.repo.parent / "gcl-home"),
            # the template names an image; the jobs run on this machine's shell instead
            "--shell-executor-no-image", "--force-shell-executor",
            "--no-color", "--max-job-name-padding", "0",
            "--variable", f"CI_SERVER_URL={self.gitlab.url}",
            "--variable", f"CI_PROJECT_ID={self.gitlab.project_id}",
            "--variable", f"CI_COMMIT_REF_PROTECTED={str(protected).lower()}",
            *(["--variable", f"I4QEW_GITLAB_TOKEN={TOKEN}"] if token else []),
            *args,
        ]  # fmt: skip
        return subprocess.run(
            command,
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    def merge_request(self, source: str, iid: int, *args: str, token: bool = True,
                      protected: bool = True) -> subprocess.CompletedProcess[str]:
        """The pipeline GitLab runs for MR !iid of `source` into main (by default one GitLab
        protects: both branches protected and "Protect merge request pipelines" on)."""
        self.git("checkout", "-q", source)
        return self.pipeline(
            *args,
            "--variable", "CI_PIPELINE_SOURCE=merge_request_event",
            "--unset-variable", "CI_COMMIT_BRANCH",  # GitLab sets none in MR pipelines
            "--variable", f"CI_MERGE_REQUEST_IID={iid}",
            "--variable", f"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME={source}",
            "--variable", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main",
            "--variable", f"CI_MERGE_REQUEST_DIFF_BASE_SHA={self.git('merge-base', 'main', source)}",
            token=token, protected=protected,
        )  # fmt: skip


def ci_file(wheel: Path) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"  # the wheelhouse's
    return f"""\
include:
  - local: ci/templates/i4qew.yml
    inputs:
      install: {wheel}
      pip_options: --no-index --find-links {wheelhouse()}
      python_version: "{python}"
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture
def scratch(tmp_path: Path, wheel: Path) -> Iterator[Scratch]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY)}
    env.update(
        GIT_CONFIG_GLOBAL=str(tmp_path / "gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GCL_IGNORE_PREDEFINED_VARS=(
            "CI_PIPELINE_SOURCE,CI_SERVER_URL,CI_PROJECT_ID,CI_DEFAULT_BRANCH,CI_COMMIT_BRANCH,"
            "CI_COMMIT_REF_PROTECTED"
        ),
        NO_PROXY="127.0.0.1,localhost",
        # the jobs' python<version> is this interpreter (a venv's, when the tests run in one)
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    (tmp_path / "gitconfig").write_text(
        "[user]\n\tname = Pipeline Tester\n\temail = tester@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n",
        encoding="utf-8",
    )
    remote = tmp_path / "remote"
    bare = remote / f"{PROJECT}.git"
    git(tmp_path, "init", "-q", "--bare", str(bare), env=env)
    # like GitLab, accept `git push -o ci.skip` (git daemon refuses push options otherwise)
    git(bare, "config", "receive.advertisePushOptions", "true", env=env)
    port = free_port()
    daemon = subprocess.Popen(
        ["git", "daemon", "--export-all", "--enable=receive-pack", "--reuseaddr",
         "--informative-errors", f"--base-path={remote}", "--listen=127.0.0.1",
         f"--port={port}", str(remote)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        repo = tmp_path / "work"
        (repo / "ci/templates").mkdir(parents=True)
        for name in DECLARATIONS:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, repo / name)
            elif source.is_file():
                shutil.copy(source, repo / name)
        shutil.copy(ROOT / "ci/templates/i4qew.yml", repo / "ci/templates/i4qew.yml")
        (repo / ".gitlab-ci.yml").write_text(ci_file(wheel), encoding="utf-8")
        (repo / ".gitignore").write_text(".gitlab-ci-local/\n", encoding="utf-8")
        with serve(FakeGitLab(token=TOKEN, project_path=PROJECT)) as fake:
            scratch = Scratch(repo=repo, remote=remote / f"{PROJECT}.git", env=env, gitlab=fake)
            scratch.git("init", "-q", "-b", "main")
            scratch.git("add", "-A")
            scratch.git("commit", "-q", "-m", "Workloads of the edge fleet")
            scratch.git("remote", "add", "origin", f"git://127.0.0.1:{port}/{PROJECT}.git")
            # gitlab-ci-local derives CI_PROJECT_PATH etc. from this URL; never contacted
            scratch.git(
                "remote", "add", "gcl-origin", f"https://gitlab.example.invalid/{PROJECT}.git"
            )
            scratch.git("push", "-q", "-u", "origin", "main")
            scratch.git("remote", "set-head", "origin", "main")  # CI_DEFAULT_BRANCH
            yield scratch
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"git daemon did not listen on 127.0.0.1:{port}")


def job_passed(run: subprocess.CompletedProcess[str], job: str) -> bool:
    return re.search(rf"^\s*PASS\s+{re.escape(job)}\s*$", run.stdout, re.M) is not None


def job_failed(run: subprocess.CompletedProcess[str], job: str) -> bool:
    return re.search(rf"^\s*FAIL\s+{re.escape(job)}\s*$", run.stdout, re.M) is not None


def job_warned(run: subprocess.CompletedProcess[str], job: str) -> bool:
    """Failed with an allowed exit code: a warning on the MR, not a red job."""
    return re.search(rf"^\s*WARN\s+{re.escape(job)}\b", run.stdout, re.M) is not None


def validations(run: subprocess.CompletedProcess[str]) -> int:
    """How many times the validate job validated (each run ends in one summary line)."""
    return len(re.findall(r"^i4qew:validate > \d+ files checked: ", run.stdout, re.M))


def junit_failures(scratch: Scratch) -> str:
    report = ElementTree.parse(scratch.repo / "i4qew-junit.xml")
    return "\n".join(failure.text or "" for failure in report.iter("failure"))


def job_ran(run: subprocess.CompletedProcess[str], job: str) -> bool:
    return re.search(rf"^{re.escape(job)}\s+starting", run.stdout, re.M) is not None


def log(run: subprocess.CompletedProcess[str]) -> str:
    return f"exit {run.returncode}\n--- stdout\n{run.stdout[-20000:]}\n--- stderr\n{run.stderr[-5000:]}"


def codequality(scratch: Scratch) -> list[dict[str, Any]]:
    report = scratch.repo / "gl-code-quality-report.json"
    assert report.is_file(), "the validate job wrote no gl-code-quality-report.json"
    issues = json.loads(report.read_text(encoding="utf-8"))
    assert isinstance(issues, list)
    for issue in issues:  # the fields GitLab's MR widget reads
        assert {"description", "fingerprint", "severity", "location"} <= issue.keys()
        assert {"path", "lines"} <= issue["location"].keys()
    return issues
