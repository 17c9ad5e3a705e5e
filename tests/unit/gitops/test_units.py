"""The pieces of gitops with hand-computed expectations or real git as the oracle."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from i4qew.gitops.charts import chart_differences
from i4qew.gitops.credentials import access_for
from i4qew.gitops.git import Git, GitFailed, environment
from i4qew.gitops.identity import BadIdentity, resolve_identity
from i4qew.gitops.objects import BuiltTree, Stored, StoredTree, build_tree, walk, write_missing
from i4qew.gitops.promote import PromoteRequest, promote
from i4qew.gitops.publish import PublishRequest, publish
from i4qew.gitops.trailers import changes_between
from i4qew.problems import UserError
from tests.support.git_remote import Site, clean_environ, git, site, trailers

TRICKY = {
    "README.md": b"# generated\n",
    "charts/a/Chart.yaml": b"name: a\n",
    "charts/a/templates/deployment.yaml": b"kind: Deployment\n",
    "charts/a-b/values.yaml": b"x: 1\n",  # '-' sorts before '/', so a-b/ before a/
    "charts/a.b": b"a file between folders\n",
    "charts/a0/values.yaml": b"",
    "hub/ns.yaml": "name: ünïcode\n".encode(),
}


def test_tree_ids_are_the_ids_git_computes(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", str(repo))
    for path, data in TRICKY.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    git(repo, "add", "-A")
    expected = git(repo, "write-tree")
    built = build_tree(TRICKY)
    assert built.oid == expected
    assert built.ids["charts/a"] == git(repo, "rev-parse", f"{expected}:charts/a")
    # written into another repository, the objects are exactly these
    other = tmp_path / "o"
    git(tmp_path, "init", "-q", str(other))
    g = Git(other, environment())
    assert write_missing(g, built) == len(built.blobs) + len(built.trees)
    assert git(other, "rev-parse", f"{built.oid}^{{tree}}") == expected
    assert git(other, "cat-file", "-p", f"{built.oid}:hub/ns.yaml") == "name: ünïcode"
    # nothing known is written again: `ids` lists every object but the root tree
    assert write_missing(g, built, known=built.ids.values()) == 1
    assert write_missing(g, built, known=[*built.ids.values(), built.oid]) == 0


def test_sha256_repositories(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", "--object-format=sha256", str(repo))
    built = build_tree(TRICKY, "sha256")
    write_missing(Git(repo, environment()), built)
    assert git(repo, "rev-parse", f"{built.oid}^{{tree}}") == built.oid and len(built.oid) == 64


@pytest.mark.parametrize("algo", ["sha1", "sha256"])
def test_a_tree_walked_down_to_whole_folders_builds_again_by_their_ids(tmp_path: Path, algo: str) -> None:
    """walk reads a committed tree only down to the folders `whole` accepts; those kept by
    tree id (StoredTree) and the files by blob id (Stored) build the same tree again, and a
    file written anew where one was is the one changed entry."""
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", f"--object-format={algo}", str(repo))
    g = Git(repo, environment())
    built = build_tree(TRICKY, algo)
    write_missing(g, built)
    seen: list[str] = []

    def whole(folder: str) -> bool:
        seen.append(folder)
        return folder.startswith("charts/")

    ids, leaves = walk(g, built.oid, whole, algo)
    assert sorted(leaves) == ["README.md", "charts/a-b/", "charts/a.b", "charts/a/", "charts/a0/", "hub/ns.yaml"]
    assert sorted(seen) == ["charts", "charts/a", "charts/a-b", "charts/a0", "hub"]  # nothing below charts/a/
    assert "charts/a/Chart.yaml" not in ids and ids["charts/a"] == built.ids["charts/a"]
    again = {p.rstrip("/"): StoredTree(ids[p[:-1]]) if p.endswith("/") else Stored(ids[p]) for p in leaves}
    assert build_tree(again, algo).oid == built.oid
    changed = build_tree({**again, "hub/ns.yaml": b"name: other\n"}, algo)
    assert changed.oid != built.oid and changed.ids["charts/a"] == built.ids["charts/a"]
    assert list(changed.blobs.values()) == [b"name: other\n"]  # only what is new is hashed and kept
    # written, the walk's ids known: the new blob and the trees around it; git agrees with the ids
    assert write_missing(g, changed, ids.values(), ask=True) == 1 + 2  # the blob, hub/, the root
    assert git(repo, "rev-parse", f"{changed.oid}:charts/a") == built.ids["charts/a"]
    assert git(repo, "cat-file", "-p", f"{changed.oid}:hub/ns.yaml") == "name: other"
    # a blob git has, in a folder the walk did not read, is not written again when asked
    assert write_missing(g, build_tree({**again, "hub/ns.yaml": TRICKY["charts/a/Chart.yaml"]}, algo), ids.values(),
                         ask=True) == 2


def test_changes_between_trees() -> None:
    old = build_tree({"charts/a/v": b"1", "charts/b/v": b"1", "charts/c/v": b"1", "hub/x": b"1", "README.md": b"1"})
    new = build_tree({"charts/a/v": b"1", "charts/b/v": b"2", "charts/d/v": b"1", "hub/x": b"2", "README.md": b"1"})
    got = changes_between(old.ids, new.ids)
    assert (got.added, got.updated, got.removed, got.other) == (("d",), ("b",), ("c",), ("hub/",))
    assert got.summary() == "workloads 1 added, 1 updated, 1 removed"
    assert got.body().splitlines() == ["Added (1): d", "Updated (1): b", "Removed (1): c", "Also changed (1): hub/"]


def test_tokens_reach_git_only_through_the_environment() -> None:
    environ = {"I4QEW_PUSH_TOKEN": "tok-123456", "CI_JOB_TOKEN": "job-999999", "GIT_CONFIG_COUNT": "1"}
    got = access_for("https://gitlab-ci-token:job-999999@gitlab.example.com/g/p.git", environ)
    assert got.url == "https://gitlab.example.com/g/p.git"
    assert got.display == "https://gitlab.example.com/g/p.git"
    assert got.env["GIT_CONFIG_COUNT"] == "2"  # appended after the caller's own entry
    assert got.env["GIT_CONFIG_KEY_1"] == "http.https://gitlab.example.com/.extraHeader"
    assert got.env["GIT_CONFIG_VALUE_1"] == "Authorization: Basic " + base64.b64encode(b"oauth2:tok-123456").decode()
    assert "tok-123456" in got.secrets
    # the job token alone, with GitLab's user name for it
    job = access_for("https://gitlab.example.com/g/p.git", {"CI_JOB_TOKEN": "job-999999"})
    assert job.env["GIT_CONFIG_VALUE_0"].endswith(base64.b64encode(b"gitlab-ci-token:job-999999").decode())
    # no token in clear text over a network; ssh and git:// are left alone
    assert access_for("http://git.example.com/p.git", environ).env == {}
    assert access_for("http://127.0.0.1:8080/p.git", environ).env
    assert access_for("git@gitlab.example.com:g/p.git", environ).url == "git@gitlab.example.com:g/p.git"
    # credentials in the URL become a header too, and are never displayed
    url_only = access_for("https://deploy:pa55word@host.example/p.git", {})
    assert url_only.url == "https://host.example/p.git" and "pa55word" in url_only.secrets


def test_identity() -> None:
    assert resolve_identity(None, {}).author == ("i4qew", "i4qew@localhost")
    ci = {"GITLAB_USER_NAME": "Ann", "GITLAB_USER_EMAIL": "ann@example.com"}
    assert resolve_identity(None, ci).committer == ("Ann", "ann@example.com")
    given = resolve_identity("Bot <bot@example.com>", {**ci, "GIT_COMMITTER_NAME": "CI"})
    assert given.author == ("Bot", "bot@example.com")
    assert given.committer == ("CI", "ann@example.com")
    with pytest.raises(BadIdentity):
        resolve_identity("no email", {})


def test_chart_differences_allow_only_environment_values() -> None:
    dev = build_tree({
        "charts/a/Chart.yaml": b"apiVersion: v2\nname: a\nversion: 0.0.0-h1\nappVersion: '1.0'\n",
        "charts/a/values.yaml": b"replicas: 1\n",
        "charts/a/templates/d.yaml": b"kind: Deployment\n",
        "charts/gone/values.yaml": b"",
    })
    prod = build_tree({
        "charts/a/Chart.yaml": b"apiVersion: v2\nname: a\nversion: 0.0.0-h2\nappVersion: '1.1'\n",
        "charts/a/values.yaml": b"replicas: 2\n",
        "charts/a/templates/d.yaml": b"kind: Deployment\n",
    })

    def read(oid: str) -> bytes:
        return bytes(dev.blobs[oid])

    args = {"source_branch": "acm-dev"}
    assert chart_differences(dev.ids, read, prod, disabled_in_target={"gone"}, **args) == []
    assert chart_differences(dev.ids, read, prod, **args) == ["charts/gone/ is on acm-dev but would not be promoted"]
    renamed = build_tree({**{p: bytes(prod.blobs[o]) for p, o in prod.ids.items() if o in prod.blobs},
                          "charts/a/Chart.yaml": b"apiVersion: v2\nname: b\nversion: 0.0.0-h2\n",
                          "charts/a/templates/d.yaml": b"kind: StatefulSet\n",
                          "charts/a/templates/extra.yaml": b""})
    assert chart_differences(dev.ids, read, renamed, disabled_in_target={"gone"}, **args) == [
        "charts/a/Chart.yaml differs from acm-dev's",
        "charts/a/templates/d.yaml differs from acm-dev's",
        "charts/a/templates/extra.yaml not on the source branch",
    ]


def test_chart_yaml_is_compared_as_yaml_1_2() -> None:
    """Chart.yaml is read as every declaration is (YAML 1.2): `on` and "on" are one string,
    so only the environment fields may differ; `1.10` and "1.10" are not the same value."""
    def tree(chart: bytes) -> BuiltTree:
        return build_tree({"charts/a/Chart.yaml": chart, "charts/a/values.yaml": b""})

    src = tree(b"apiVersion: v2\nname: a\nkeywords: [on, 'no']\nversion: 0.0.0-h1\n")
    same = tree(b'apiVersion: v2\nname: a\nkeywords: ["on", no]\nversion: 0.0.0-h2\nappVersion: "2"\n')
    other = tree(b'apiVersion: v2\nname: a\nkeywords: ["on", no]\nkubeVersion: 1.10\nversion: 0.0.0-h1\n')
    number = tree(b'apiVersion: v2\nname: a\nkeywords: ["on", no]\nkubeVersion: "1.10"\nversion: 0.0.0-h1\n')

    def read(oid: str) -> bytes:
        return bytes(src.blobs.get(oid) or other.blobs[oid])

    assert chart_differences(src.ids, read, same, source_branch="acm-dev") == []
    assert chart_differences(other.ids, read, number, source_branch="acm-dev") == [
        "charts/a/Chart.yaml differs from acm-dev's"]


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path) as made:
        yield made


def test_a_config_file_outside_the_declaration_folders_is_an_input(s: Site) -> None:
    (s.work / "config").mkdir()
    (s.work / "config" / "ui.yaml").write_text("theme: dark\n")
    path = s.work / "workloads" / "object-detection.yaml"
    path.write_text(path.read_text().replace("workloads/files/inspection-ui.yaml", "config/ui.yaml"))
    git(s.work, "add", "-A")
    git(s.work, "commit", "-q", "-m", "config outside")
    request = PublishRequest(root=s.work, env="dev", backoff=0.01)
    assert publish(request, environ=clean_environ()).status == "published"
    assert trailers(s.bare, "acm-dev")["I4qew-Input"] == "config/ui.yaml"
    assert publish(request, environ=clean_environ()).status == "unchanged"
    (s.work / "config" / "ui.yaml").write_text("theme: light\n")
    git(s.work, "commit", "-q", "-am", "light theme")
    assert publish(request, environ=clean_environ()).status == "published"
    assert "theme: light" in s.show("acm-dev", "charts/inspection-ui/values.yaml")


def test_a_shallow_clone_still_recognises_a_late_pipeline(s: Site) -> None:
    old = git(s.work, "rev-parse", "HEAD")
    (s.work / "NOTES.md").write_text("1\n")
    git(s.work, "add", "NOTES.md")
    git(s.work, "commit", "-q", "-m", "notes")
    path = s.work / "workloads" / "sktime.yaml"
    path.write_text(path.read_text().replace("sktime:1.2.0", "sktime:1.3.0"))
    git(s.work, "commit", "-q", "-am", "bump")
    git(s.work, "push", "-q", "origin", "main")
    assert publish(PublishRequest(root=s.work, env="dev"), environ=clean_environ()).status == "published"
    shallow = s.tmp / "shallow"
    git(s.tmp, "clone", "-q", "--depth=1", s.url, str(shallow))
    git(shallow, "fetch", "-q", "--depth=1", "origin", old)
    git(shallow, "checkout", "-q", old)
    assert git(shallow, "rev-parse", "--is-shallow-repository") == "true"
    late = publish(PublishRequest(root=shallow, env="dev"), environ=clean_environ())
    assert late.status == "late"


def test_git_runs_without_prompts_or_a_foreign_index(tmp_path: Path) -> None:
    env = environment({**os.environ, "GIT_INDEX_FILE": "/nonexistent/index"})
    assert env["GIT_TERMINAL_PROMPT"] == "0" and "GIT_INDEX_FILE" not in env
    assert subprocess.run(["git", "--version"], env=env, check=True, capture_output=True).returncode == 0


def test_a_started_git_command_answers_as_run_and_leaves_no_process(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", str(repo))
    (repo / "new.yaml").write_text("a: 1\n")
    g = Git(repo, environment())
    started = g.start("status", "--porcelain=v1", "-z", "--untracked-files=all")
    assert started.result().stdout == g.run("status", "--porcelain=v1", "-z", "--untracked-files=all").stdout
    started.close()
    failing = g.start("cat-file", "-e", "0" * 40)
    with pytest.raises(GitFailed):
        failing.result()
    abandoned = g.start("status")
    abandoned.close()  # nobody waited for it: stopped and reaped
    assert abandoned.proc.returncode is not None


@pytest.mark.slow
def test_a_workload_repository_in_a_subfolder(tmp_path: Path) -> None:
    import shutil

    from tests.support.git_remote import EXAMPLE_INPUTS, ROOT, git_daemon

    with git_daemon(tmp_path / "srv") as daemon:
        daemon.bare("mono.git")
        mono = tmp_path / "mono"
        for name in EXAMPLE_INPUTS:
            src, dst = ROOT / name, mono / "deploy" / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
        (mono / "app.py").write_text("print('app')\n")
        git(mono, "init", "-q", "-b", "main")
        git(mono, "add", "-A")
        git(mono, "commit", "-q", "-m", "monorepo")
        git(mono, "remote", "add", "origin", daemon.url("mono.git"))
        git(mono, "push", "-q", "origin", "main")
        request = PublishRequest(root=mono / "deploy", env="dev")
        assert publish(request, environ=clean_environ()).status == "published"
        bare = daemon.base / "mono.git"
        files = git(bare, "ls-tree", "-r", "--name-only", "acm-dev").splitlines()
        assert "charts/sktime/values.yaml" in files and not any(f.startswith("deploy/") or f == "app.py" for f in files)
        assert publish(request, environ=clean_environ()).status == "unchanged"
        sktime = mono / "deploy" / "workloads" / "sktime.yaml"
        sktime.write_text(sktime.read_text().replace("sktime:1.2.0", "sktime:1.3.0"))
        # publish renders the commit: an uncommitted edit alone changes nothing...
        unchanged = publish(request, environ=clean_environ())
        assert unchanged.status == "unchanged"
        assert any("uncommitted changes to workloads/sktime.yaml are not published" in x for x in unchanged.lines)
        git(mono, "commit", "-q", "-am", "bump")
        # ...and is refused when it would end up in the render of a commit that lacks it
        vibration = mono / "deploy" / "workloads" / "vibration.yaml"
        vibration.write_text(vibration.read_text().replace("3.1.0", "3.2.0"))
        with pytest.raises(UserError, match=r"uncommitted changes to workloads/vibration\.yaml"):
            publish(request, environ=clean_environ())
        git(mono, "checkout", "--", "deploy/workloads/vibration.yaml")
        assert publish(request, environ=clean_environ()).status == "published"
        # promotion reads the subfolder out of the source commit
        outcome = promote(PromoteRequest(root=mono / "deploy", source_env="dev", target_env="production"),
                          environ=clean_environ())
        assert outcome.status == "promoted"
        assert "sktime:1.3.0" in git(bare, "show", "production:charts/sktime/values.yaml")
