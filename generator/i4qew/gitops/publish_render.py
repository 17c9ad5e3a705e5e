"""publish's render half (gitops/publish.py imports it when a publish may render): the
repository settings checked, the commit rendered on top of the branch head, reusing the
head's tree where only workloads changed (gitops/incremental.py), and proposed as one
commit. The branch head's placement snapshots are read here, as the next render's base.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from i4qew import __version__
from i4qew.gitops import trailers as T
from i4qew.gitops.branch import BranchState
from i4qew.gitops.held_models import held_versions
from i4qew.gitops.incremental import HeadTree, changed_workloads
from i4qew.gitops.land import BeforePush, Landing, Outcome, Proposal
from i4qew.gitops.objects import BuiltTree, Stored, StoredTree, build_tree, files_under, read_blobs
from i4qew.gitops.publishing import (
    HeadRead,
    PublishRequest,
    before_render,
    make_landing,
    overwrite_note,
    unpushed,
)
from i4qew.gitops.requests import Listed, Rendered, RenderFn, RenderRequest, is_snapshot
from i4qew.gitops.settings import environment, settings_at
from i4qew.gitops.source import Source, dirty_inputs, fingerprint, input_ids
from i4qew.gitops.wave_pins import WavePins
from i4qew.model.repo import Environment
from i4qew.placement.snapshot_read import Joined, read_decisions
from i4qew.problems import UserError

if TYPE_CHECKING:
    from i4qew.compile.hub.rollout_state import RolloutState


Snapshots = tuple[tuple[str, str], ...]  # (path, blob id) of each placement snapshot, by path


def snapshots_in(landing: Landing, tree_ish: str) -> Snapshots | None:
    """The placement snapshots of a commit or tree: placement/decisions.json, or one
    placement/<hub>/decisions.json per hub (spec.hubs); None when this clone lacks it."""
    found = files_under(landing.git, tree_ish, "placement")
    return None if found is None else tuple(sorted((p, oid) for p, oid in found.items() if is_snapshot(p)))


def head_snapshots(landing: Landing, state: BranchState) -> Snapshots:
    """The placement snapshots of the branch head (snapshots_in)."""
    if state.head is None:
        return ()
    got = snapshots_in(landing, state.head.tree)
    if got is None:
        raise UserError(f"{state.branch} at {state.head.sha[:12]}: its tree {state.head.tree[:12]} is not in this clone")
    return got


def snapshot_contents(landing: Landing, snapshots: Snapshots) -> tuple[bytes, ...]:
    """The snapshots' contents, in one git process."""
    blobs = read_blobs(landing.git, sorted({oid for _, oid in snapshots}))
    return tuple(blobs[oid] for _, oid in snapshots)


def head_decisions(landing: Landing, state: BranchState) -> tuple[bytes, ...]:
    """The contents of the branch head's placement snapshots (head_snapshots)."""
    return snapshot_contents(landing, head_snapshots(landing, state))


def placement_settled(landing: Landing, state: BranchState, snapshots: Snapshots) -> bool:
    """Whether a render over the head's decisions writes the head's placement files again
    when no input they read changed: the head's commit was rendered over its parent's
    decisions, so it does when the parent holds the same snapshot blobs, or none (the
    first publish: a decision made without a base is the one its own base keeps,
    Planner.choose and Planner.tolerated). Anything else (a parent this clone lacks):
    not known, render them."""
    commit = state.base
    if commit is None or len(commit.parents) > 1:
        return False
    if not commit.parents:
        return True
    parent = snapshots_in(landing, commit.parents[0])
    return parent is not None and (not parent or parent == snapshots)


def previous_decisions(snapshots: tuple[bytes, ...]) -> dict[str, list[str] | Joined] | None:
    """"namespace/workload" -> the clusters chosen, over every snapshot: the hubs' cluster
    names are disjoint (rule hub-cluster-duplicate), so each hub finds its own. Nothing is
    copied: each snapshot's lists are shared by the workloads of the same decision, and a
    workload with clusters in several snapshots has their lists `Joined` (compile/fleet.py
    splits each distinct list once); none is to be changed."""
    out: dict[str, list[str] | Joined] = {}
    for data in snapshots:
        for key, names in read_decisions(data).items():
            had = out.get(key)
            if not had:  # (none yet, or no cluster)
                out[key] = names
            elif names:
                out[key] = Joined((*had.parts, names) if isinstance(had, Joined) else (had, names))
    return out or None


@dataclass
class _Publisher:
    req: PublishRequest
    source: Source
    landing: Landing
    branch: str
    render: RenderFn
    rendered: Rendered | None = None
    renders: dict[tuple[Snapshots, RolloutState | None], tuple[Rendered, BuiltTree]] = field(default_factory=dict)
    env: Environment | None = None
    fingerprints: dict[tuple[str, ...], str] = field(default_factory=dict)
    default_namespace: str | None = None  # spec.defaults.namespace: a workload's when it names none

    def fingerprint(self, extra: tuple[str, ...]) -> str:
        if extra not in self.fingerprints:
            ids = input_ids(self.source, self.source.head, extra)
            self.fingerprints[extra] = fingerprint(ids, self.req.env, self.req.inventory)
        return self.fingerprints[extra]

    def over_inventory_folder(self, state: BranchState) -> bool:
        """Whether the head was rendered over the repository's inventory (clusters/), not an
        --inventory file: its input fingerprint is its source commit's without one."""
        base = state.base
        since = base.trailer(T.SOURCE_COMMIT) if base else None
        if base is None or since is None:
            return False
        extra = base.trailers.get(T.INPUT_PATH.lower(), ())
        return base.trailer(T.INPUTS) == fingerprint(input_ids(self.source, since, extra), self.req.env, None)

    def render_on(self, state: BranchState, rollout: RolloutState | None = None) -> tuple[Rendered, BuiltTree]:
        """The render on top of `state` (it depends on the head only through its previous
        placement decisions and rollout state, so a retry on a new head usually reuses it)."""
        snapshots = head_snapshots(self.landing, state)
        key = (snapshots, rollout)
        if key not in self.renders:
            changed = None if self.req.rerender or rollout is not None else changed_workloads(
                self.source, state, self.req.env, self.default_namespace, self.req.inventory is not None)
            head = HeadTree(self.landing.git, state.head.tree, self.source.algo) \
                if changed is not None and state.head else None
            if changed is not None and not changed.placement and placement_settled(self.landing, state, snapshots) \
                    and self.over_inventory_folder(state):
                readme = self.landing.git.run("cat-file", "blob", f"{state.base.tree}:README.md", check=False) \
                    if state.base else None
                changed = dataclasses.replace(changed, readme=readme.stdout if readme and not readme.returncode
                                              else None)
            # the head's decisions, the base of the next: not read when its placement files stay
            base = None if changed is not None and changed.readme is not None and not changed.capacity else \
                previous_decisions(snapshot_contents(self.landing, snapshots))
            rendered = self.render(RenderRequest(self.source.root, self.req.env, self.source.head,
                                                 self.req.inventory, base, rollout,
                                                 held_versions(self.landing, rollout), changed=changed,
                                                 previous=head or Listed(())))
            dirty = dirty_inputs(self.source, rendered.config_paths, self.req.inventory is None)
            if dirty:
                raise UserError(f"uncommitted changes to {', '.join(dirty[:10])}"
                                f"{' and more' if len(dirty) > 10 else ''}: publish renders the checked-out "
                                f"commit {self.source.head[:12]}; commit or stash them first")
            files: dict[str, bytes | Stored | StoredTree] = dict(rendered.files)
            if head is not None and rendered.kept:
                files.update({p.rstrip("/"): head.stored(p) for p in rendered.kept})
                self.landing.remember(head.oid, head.ids)
                self.landing.note(f"only workloads changed since the branch head: rendered {len(rendered.files)} "
                                  f"files again ({', '.join(sorted(changed.names)[:5]) if changed else ''}"
                                  f"{', …' if changed and len(changed.names) > 5 else ''}), kept the rest "
                                  f"as it is ({len(rendered.kept)} files and folders)")
            if any(is_snapshot(p) for p in rendered.kept):
                pictures = "the pictures of the hubs where those workloads cannot run" if changed and \
                    changed.capacity else "the pictures"
                self.landing.note("no input of the placement decisions changed: kept the placement snapshots, "
                                  f"model indexes and {pictures} of the branch head")
            self.renders[key] = (rendered, build_tree(files, self.source.algo))
        self.rendered = self.renders[key][0]
        return self.renders[key]

    def decide(self, state: BranchState) -> Proposal | Outcome:
        early = before_render(self.req, self.source, self.landing, state, self.branch, self.fingerprint)
        if early is not None:
            return early
        ours = self.source.head
        pins = WavePins.read(self.landing, state, self.env)
        rendered, tree = self.render_on(state, pins.old)
        if state.head is not None and tree.oid == state.head.tree:
            return Outcome("unchanged", self.branch, state.head.sha, (
                f"{self.branch} already holds exactly this render of {ours[:12]}; nothing to commit",))
        if pins.moves:
            rendered, tree = self.render_on(state, pins.new)
        changes = self.landing.changes(state, tree)
        trailers = [(T.SOURCE_COMMIT, ours), (T.VERSION, __version__), (T.ENVIRONMENT, self.req.env),
                    (T.INPUTS, self.fingerprint(rendered.extra_inputs)),
                    *[(T.INPUT_PATH, p) for p in rendered.extra_inputs], *pins.trailers(), (T.TREE, tree.oid)]
        message = T.compose(f"i4qew: publish {self.req.env} from {ours[:12]}",
                            [changes.body(), pins.body(), overwrite_note(state)], trailers)
        return Proposal(tree, message, changes, pins.refs())


def _render(req: RenderRequest) -> Rendered:
    """The real render, imported when a publish renders: one whose inputs are unchanged
    never does, and the validation and the compilers cost ~0.2 s to import."""
    from i4qew.gitops.rendering import render_source

    return render_source(req)


def publish_rendering(req: PublishRequest, source: Source, ids: dict[str, str], environ: Mapping[str, str],
                      render: RenderFn | None, before_push: BeforePush | None, read: HeadRead | None = None) -> Outcome:
    """gitops/publish.py's publish, from the settings on: every check, and the render
    when the branch head does not hold these inputs already. `read`: the environment
    branch's head as gitops/publish.py read it (through its landing): the first attempt
    starts from it, no second read of the remote."""
    render = render or _render
    settings = settings_at(source, ids.get("i4qew.yaml"))
    if settings is None:
        render(RenderRequest(source.root, req.env, source.head, req.inventory))  # reports what is wrong
        raise UserError("i4qew.yaml at the checked-out commit is missing or invalid")
    env = environment(settings, req.env)
    if env.promotes_from:
        raise UserError(f"{env.name} is promoted from {env.promotes_from}, not published: "
                        f"run i4qew promote --from {env.promotes_from} --to {env.name}")
    if read is None or read.branch != env.branch:
        read = None
        landing = make_landing(source, req.remote, req.push, req.dry_run, req.author, req.attempts, req.backoff,
                               environ)
    else:
        landing = read.landing
    landing.before_push = before_push
    namespace = settings.defaults.get("namespace")
    publisher = _Publisher(req, source, landing, env.branch, render, env=env,
                           default_namespace=namespace if isinstance(namespace, str) else None)
    publisher.fingerprints[()] = fingerprint(ids, req.env, req.inventory)  # the ids read above: no second read
    outcome = landing.land(env.branch, publisher.decide, first=read.state if read else None)
    unseen = unpushed(landing, source.head, env.branch) if outcome.status in ("published", "dry-run") else ()
    warnings = publisher.rendered.warnings if publisher.rendered else ()
    return Outcome(outcome.status, outcome.branch, outcome.commit, (*landing.notes, *outcome.lines, *unseen),
                   warnings)
