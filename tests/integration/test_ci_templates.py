"""The CI plugin's YAML against GitLab's own schema, yamllint, and its promises.

The component file holds two YAML documents (the `spec:` header, then the jobs);
each is checked alone, and the jobs again with the inputs interpolated as GitLab
does, once with the defaults and once with other values.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew import __version__
from i4qew.cli.init import SOURCE, install_spec
from tests.support.tools import ROOT

TEMPLATE = ROOT / "ci/templates/i4qew.yml"
PIPELINE = ROOT / ".gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
INPUT = re.compile(r"\$\[\[\s*inputs\.([a-z_]+)\s*\]\]")
YAMLLINT = "{extends: default, rules: {line-length: {max: 120}, document-start: disable}}"


class GitLabLoader(yaml.SafeLoader):
    """Reads GitLab's `!reference [job, key]` as a plain list, as its schema does."""


GitLabLoader.add_constructor(
    "!reference",
    lambda loader, node: loader.construct_sequence(node),  # type: ignore[arg-type]
)


def documents() -> tuple[str, str]:
    header, sep, body = TEMPLATE.read_text(encoding="utf-8").partition("\n---\n")
    assert sep, "the component needs a `spec:` header, then `---`, then the jobs"
    return header, body


def spec_inputs() -> dict[str, dict[str, Any]]:
    inputs: dict[str, dict[str, Any]] = yaml.safe_load(documents()[0])["spec"]["inputs"]
    return inputs


def interpolate(body: str, values: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        v = values[match[1]]
        return str(v).lower() if isinstance(v, bool) else str(v)

    return INPUT.sub(value, body)


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("check-jsonschema")
    command = [exe] if exe else [sys.executable, "-m", "check_jsonschema"]
    return subprocess.run(
        [
            *command,
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def jobs(values: dict[str, Any] | None = None) -> dict[str, Any]:
    defaults = {name: spec.get("default") for name, spec in spec_inputs().items()}
    loaded: dict[str, Any] = yaml.load(
        interpolate(documents()[1], {**defaults, **(values or {})}), Loader=GitLabLoader
    )
    return loaded


OTHER_INPUTS = {
    "image": "registry.example/python:3.12",
    "python_version": "3.12",
    "install": "i4qew==1.2.3",
    "pip_options": "--index-url https://pypi.example/simple",
    "first_environment": "staging",
    "promote_merge_request": True,
    "post_mr_notes": False,
    "stage_check": "lint",
    "stage_deploy": "release",
}


@pytest.mark.parametrize("which", ["header", "jobs", "defaults", "other-inputs", "pipeline"])
def test_gitlab_schema_accepts(which: str, tmp_path: Path) -> None:
    header, body = documents()
    defaults = {name: spec.get("default") for name, spec in spec_inputs().items()}
    text = {
        "header": header,
        "jobs": body,  # uninterpolated: `$[[ inputs.x ]]` stand where strings go
        "defaults": interpolate(body, defaults),
        "other-inputs": interpolate(body, {**defaults, **OTHER_INPUTS}),
        "pipeline": PIPELINE.read_text(encoding="utf-8"),
    }[which]
    path = tmp_path / f"{which}.yml"
    path.write_text(text, encoding="utf-8")
    done = check_jsonschema(path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_does_catch_mistakes(tmp_path: Path) -> None:
    loaded = jobs()
    path = tmp_path / "jobs.yml"
    path.write_text(yaml.safe_dump(loaded), encoding="utf-8")
    assert check_jsonschema(path).returncode == 0  # the control: as loaded, it passes
    loaded["i4qew:publish"]["when"] = "sometimes"
    path.write_text(yaml.safe_dump(loaded), encoding="utf-8")
    assert check_jsonschema(path).returncode != 0


def test_every_job_keeps_i4qews_cache_per_branch_starting_from_the_default_branchs() -> None:
    """docs/caching.md, ci/README.md: the folder i4qew caches in (I4QEW_CACHE_DIR) is a GitLab
    cache path of every job, keyed by branch, falling back to the default branch's."""
    loaded = jobs()
    base = loaded[".i4qew:base"]
    folder = base["variables"]["I4QEW_CACHE_DIR"]
    assert not Path(folder).is_absolute() and not folder.startswith("..")  # in the project dir
    (ours,) = [c for c in base["cache"] if folder in c["paths"]]
    assert ours["key"] == "i4qew-$CI_COMMIT_REF_SLUG" and ours["fallback_keys"] == ["i4qew-$CI_DEFAULT_BRANCH"]
    assert ours.get("policy", "pull-push") == "pull-push" and ours["when"] == "always"  # failing jobs keep theirs too
    runs_i4qew = [name for name, job in loaded.items() if not name.startswith(".") and job.get("extends")]
    assert {"i4qew:validate", "i4qew:plan", "i4qew:publish"} <= set(runs_i4qew)
    for name in runs_i4qew:
        job = loaded[name]
        assert "cache" not in job and "I4QEW_CACHE_DIR" not in job.get("variables", {}), name  # the base's


@pytest.mark.parametrize("path", [TEMPLATE, PIPELINE, HOOKS], ids=lambda p: p.name)
def test_yamllint(path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "-f", "parsable", "-d", YAMLLINT, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_input_is_declared_typed_and_used() -> None:
    inputs = spec_inputs()
    used = set(INPUT.findall(documents()[1]))
    assert used == set(inputs)
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert "default" in spec, f"{name}: every input has a default, so a bare include works"
        if spec.get("type") == "boolean":
            assert isinstance(spec["default"], bool), name
    assert inputs["image"]["default"] == "python:3.11-slim"
    # the release the template belongs to, where i4qew init points too (nothing on a package index)
    assert inputs["install"]["default"] == install_spec() == f"i4qew @ git+{SOURCE}.git@v{__version__}"
    assert inputs["first_environment"]["default"] == "dev"
    assert inputs["post_mr_notes"]["default"] is True


def test_jobs_report_to_the_merge_request_widget() -> None:
    validate = jobs()["i4qew:validate"]
    assert validate["artifacts"]["when"] == "always"
    reports = validate["artifacts"]["reports"]
    assert reports == {"codequality": "gl-code-quality-report.json", "junit": "i4qew-junit.xml"}
    # one validation writes the log and both reports (it applies the repo's .yamllint itself)
    assert validate["script"] == [
        "i4qew validate --report codequality=gl-code-quality-report.json --report junit=i4qew-junit.xml"]
    plan = jobs()["i4qew:plan"]
    assert plan["artifacts"]["paths"] == ["plan.html", "plan.svg", "plan.md"]
    assert plan["artifacts"]["expose_as"] == "i4qew plan" and plan["artifacts"]["when"] == "always"
    script = "\n".join(plan["script"])
    assert "$CI_MERGE_REQUEST_DIFF_BASE_SHA" in script
    assert "--format markdown --report html=plan.html --report svg=plan.svg" in script
    assert 'set -- plan.md --marker "plan:$I4QEW_ENVIRONMENT"' in script
    assert "--page plan.html" in script and "--picture plan.svg" in script and 'i4qew mr-note "$@"' in script
    # a repository that does not validate: validate is the red job, plan a warning
    assert plan["allow_failure"] == {"exit_codes": [1, 4]}


def test_publish_and_promote_are_serialised_per_environment() -> None:
    loaded = jobs({"first_environment": "staging"})
    assert loaded["i4qew:publish"]["resource_group"] == "i4qew-publish-staging"
    assert loaded["i4qew:promote"]["resource_group"] == "i4qew-publish-$I4QEW_PROMOTE_TO"
    promote = loaded["i4qew:promote"]
    assert promote["variables"]["I4QEW_PROMOTE_FROM"] == "dev"
    assert promote["variables"]["I4QEW_PROMOTE_TO"] == "production"
    # never in an MR pipeline, nor in a rollout schedule's; else manual
    assert [r.get("when") for r in promote["rules"][1:]] == ["never", "never", "manual"]


def test_jobs_never_print_a_token() -> None:
    text = documents()[1]
    for secret in ("I4QEW_GITLAB_TOKEN", "GITLAB_TOKEN", "I4QEW_PUSH_TOKEN", "CI_JOB_TOKEN"):
        for line in text.splitlines():
            assert not re.search(rf"\b(echo|printf)\b.*\${{?{secret}\b", line), line
    assert not re.search(r"set -\w*x|set -o xtrace", text)


def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    (hook,) = (h for h in hooks if h["id"] == "i4qew-validate")
    assert hook["entry"] == "i4qew validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for path in ("i4qew.yaml", "workloads/a.yaml", "policies/p.yml", "models/m.yaml"):
        assert files.search(path), path
    assert not files.search("README.md") and not files.search("src/workloads.py")


def test_this_repo_includes_the_plugin_locally() -> None:
    pipeline = yaml.load(PIPELINE.read_text(encoding="utf-8"), Loader=GitLabLoader)
    (include,) = (i for i in pipeline["include"] if i.get("local") == "ci/templates/i4qew.yml")
    assert include["inputs"]["install"] == "."
    assert set(include["inputs"]) <= set(spec_inputs())
    assert "bash .ci/test" in pipeline["test"]["script"]
    assert "bash .ci/newcomer" in pipeline["newcomer"]["script"]
    assert pipeline["newcomer"]["image"].endswith("-bookworm")  # Debian 12's python3


@pytest.mark.skipif(not shutil.which("gitlab-ci-local"), reason="gitlab-ci-local is not installed")
def test_gitlab_ci_local_reads_this_repos_pipeline(tmp_path: Path) -> None:
    (tmp_path / "ci/templates").mkdir(parents=True)
    shutil.copy(TEMPLATE, tmp_path / "ci/templates/i4qew.yml")
    shutil.copy(PIPELINE, tmp_path / ".gitlab-ci.yml")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, timeout=60)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "ci"],
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    subprocess.run(
        ["git", "remote", "add", "origin", "https://gitlab.example.invalid/i4q/i4qew.git"],
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    done = subprocess.run(
        ["gitlab-ci-local", "--list-json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listing = done.stdout[re.search(r"^\[", done.stdout, re.M).start() :]  # type: ignore[union-attr]
    when = {job["name"]: job["when"] for job in yaml.safe_load(listing)}
    assert when == {
        "test": "on_success",
        "newcomer": "on_success",
        "release": "never",  # tag pipelines only
        "i4qew:validate": "on_success",
        "i4qew:plan": "never",
        "i4qew:publish": "on_success",
        "i4qew:promote": "manual",
        "i4qew:rollout": "manual",
    }
