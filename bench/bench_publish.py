"""Issue 4: `i4qew publish` of a 2,000-workload repo, against a local bare remote (no network).

    python bench/bench_publish.py [--workloads 2000 --policies 200 --models 50 --clusters 10000]

Each repetition copies the fleet into a fresh git repository (branch main, one
commit) with a fresh bare remote, then measures, as whole processes:

* render      = the render publish does, in memory: a process that validates, loads
                the inventory and runs `render_tree` without writing files (publish
                builds its commit from the tree, not from a work tree); `i4qew render
                -o DIR`, which also writes the files, is printed for reference;
* full        = the first `i4qew publish --env ENV --remote origin` (creates the
                branch, one commit, push);
* unchanged   = `i4qew publish` again, inputs unchanged: target < 2 s and no commit;
* git part    = full - render, against the baseline `git add -A && git commit` of
                the same rendered tree in a fresh work tree: target <= 1.5x.

The push of that baseline commit to a bare remote is printed for reference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import benchlib
from benchlib import figure, note, title

IDENTITY = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost"}
COMMIT = "0" * 40


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def render_only(root: Path, env: str) -> int:
    """The computing part of a publish, as its own process (see the module docs)."""
    from i4qew.compile.render import render_tree
    from i4qew.placement.inventory_load import load_inventory
    from i4qew.validation import validate_repo

    result = validate_repo(root)
    if result.repo is None or not result.ok:
        print("the fleet does not validate", file=sys.stderr)
        return 1
    inventory, _ = load_inventory(root)
    tree = render_tree(result.repo, env, inventory=inventory, source_commit=COMMIT)
    print(f"{len(tree)} files")
    return 0


def branch_of(root: Path, env: str) -> str:
    """The environment's branch from the repo's Repository settings."""
    from i4qew.validation import validate_repo

    repo = validate_repo(root).repo
    found = repo.repository.environment(env) if repo else None
    if found is None:
        raise SystemExit(f"bench_publish: no environment {env!r} in {root}/i4qew.yaml")
    return found.branch


def setup(fleet: Path, work: Path, n: int) -> tuple[Path, Path]:
    """A fresh source repository (fleet committed on main) and an empty bare remote."""
    src, remote = work / f"src-{n}", work / f"remote-{n}.git"
    shutil.copytree(fleet, src)
    git("init", "-q", "-b", "main", cwd=src)
    git("add", "-A", cwd=src)
    git("commit", "-q", "-m", "synthetic fleet", cwd=src)
    git("init", "-q", "--bare", str(remote), cwd=work)
    git("remote", "add", "origin", str(remote), cwd=src)
    git("push", "-q", "origin", "main", cwd=src)
    return src, remote


def head(remote: Path, branch: str) -> str | None:
    done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], cwd=remote,
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def baseline_commit(tree: Path, work: Path, n: int) -> tuple[float, float]:
    """(git add -A && git commit, git push) of the rendered tree in a fresh work tree."""
    wt, remote = work / f"wt-{n}", work / f"wt-remote-{n}.git"
    shutil.copytree(tree, wt)
    git("init", "-q", "-b", "acm-dev", cwd=wt)
    git("init", "-q", "--bare", str(remote), cwd=work)
    git("remote", "add", "origin", str(remote), cwd=wt)
    commit = benchlib.run(["sh", "-c", "git add -A && git commit -q -m render"], cwd=wt)
    push = benchlib.run(["git", "push", "-q", "origin", "acm-dev"], cwd=wt)
    if commit.code or push.code:
        raise SystemExit(f"bench_publish: baseline git failed: {commit.stderr}{push.stderr}")
    return commit.seconds, push.seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.add_fleet_args(ap)
    ap.add_argument("--env", default="dev")
    ap.add_argument("--render-only", type=Path, help=argparse.SUPPRESS)  # internal: the timed render process
    args = ap.parse_args(argv)
    if args.render_only:
        return render_only(args.render_only, args.env)
    title(f"publish --env {args.env}: {args.workloads} workloads, {args.clusters} clusters, local bare remote")
    if not benchlib.has_command("publish"):
        return benchlib.missing("the `i4qew publish` command")
    fleet = benchlib.fleet(benchlib.params_from(args))
    branch = branch_of(fleet, args.env)
    os.environ.update(IDENTITY)  # children inherit: publish and git commit need an identity
    cli = benchlib.i4qew()
    work = Path(tempfile.mkdtemp(prefix="i4qew-bench-publish-"))
    best: dict[str, float] = {}

    def keep(name: str, seconds: float) -> None:
        best[name] = min(best.get(name, seconds), seconds)

    try:
        for n in range(max(1, args.repeat)):
            src, remote = setup(fleet, work, n)
            out = work / f"render-{n}"
            r = benchlib.run([sys.executable, __file__, "--render-only", str(src), "--env", args.env])
            w = benchlib.run([*cli, "render", "-C", str(src), "--env", args.env, "-o", str(out)])
            if r.code or w.code:
                benchlib.show_failure(r if r.code else w)
                return 0
            keep("render", r.seconds)
            keep("render -o", w.seconds)
            full = benchlib.run([*cli, "publish", "-C", str(src), "--env", args.env, "--remote", "origin"])
            first = head(remote, branch)
            if full.code or first is None:
                note(f"the first publish did not create {branch} on the remote")
                benchlib.show_failure(full)
                return 0
            keep("full", full.seconds)
            again = benchlib.run([*cli, "publish", "-C", str(src), "--env", args.env, "--remote", "origin"])
            if again.code:
                benchlib.show_failure(again)
            moved = head(remote, branch) != first
            keep("unchanged", again.seconds)
            commits = git("rev-list", "--count", branch, cwd=remote)
            note(f"run {n + 1}: branch {branch} has {commits} commit(s); the unchanged publish "
                 f"{'MADE A COMMIT' if moved else 'made no commit'}")
            t_commit, t_push = baseline_commit(out, work, n)
            keep("git add+commit", t_commit)
            keep("git push", t_push)
        figure("render in memory (validate + inventory + render_tree), process", best["render"])
        figure("  for reference: i4qew render -o DIR (also writes the files)", best["render -o"])
        figure("i4qew publish, first (render + commit + push)", best["full"])
        figure("i4qew publish, inputs unchanged", best["unchanged"], target="< 2 s", met=best["unchanged"] < 2)
        git_part = best["full"] - best["render"]
        figure("git part of the full publish (publish - render)", git_part)
        figure("baseline: git add -A && git commit of the same tree", best["git add+commit"])
        figure("  for reference: git push of that commit to a bare remote", best["git push"])
        ratio = git_part / best["git add+commit"]
        if git_part <= 0:
            note("publish took less than the render alone: the figures are noise at this size")
        figure("ratio git part / (git add -A && git commit)", ratio, unit="x", target="<= 1.5x", met=ratio <= 1.5)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
