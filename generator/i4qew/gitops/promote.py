"""`promote --from dev --to production`: ship exactly the source commit dev was built from.

The source commit comes from the `Source-Commit` trailer of the source branch's
head (not from the checkout, which may have moved on); its inputs are written
out of git into a temporary folder, validated and rendered for the target
environment, and the charts are checked against the source branch's before
anything is committed (see charts.py for what may differ).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from i4qew import __version__
from i4qew.compile.hub.rollout_state import RolloutState
from i4qew.gitops import trailers as T
from i4qew.gitops.branch import BranchState
from i4qew.gitops.charts import chart_differences
from i4qew.gitops.describe import describe_promotion, gitlab_opener
from i4qew.gitops.held_models import held_versions
from i4qew.gitops.land import BeforePush, Landing, Outcome, Proposal
from i4qew.gitops.objects import BuiltTree, build_tree
from i4qew.gitops.publish_render import head_decisions, previous_decisions
from i4qew.gitops.publishing import late_outcome, make_landing, overwrite_note, refuse_drift
from i4qew.gitops.rendering import render_source
from i4qew.gitops.requests import Rendered, RenderFn, RenderRequest
from i4qew.gitops.settings import environment, settings_at
from i4qew.gitops.source import Source, fingerprint, input_ids, materialise, open_source
from i4qew.gitops.wave_pins import WavePins, proposed_since
from i4qew.model.repo import Environment
from i4qew.problems import UserError

# (proposal branch, target branch, title, description) -> the merge request's URL
OpenMergeRequest = Callable[[str, str, str, str], str]


@dataclass(frozen=True)
class PromoteRequest:
    root: Path
    source_env: str
    target_env: str
    remote: str = "origin"
    push: bool = True
    merge_request: bool = False
    dry_run: bool = False
    overwrite_drift: bool = False
    inventory: Path | None = None
    author: str | None = None
    attempts: int = 5
    backoff: float = 0.25


def proposal_branch(env: str, source_commit: str) -> str:
    return f"i4qew/promote-{env}-{source_commit[:12]}"


@dataclass
class _Promoter:
    req: PromoteRequest
    source: Source
    landing: Landing
    render: RenderFn
    folder: Path  # the source commit's inputs, materialised
    commit: str  # the source commit being promoted
    extra: tuple[str, ...]  # inputs outside the declaration folders, as recorded on the source branch
    src_env: Environment
    dst_env: Environment
    src_state: BranchState
    rendered: Rendered | None = None
    renders: dict[tuple[tuple[bytes, ...], RolloutState | None], tuple[Rendered, BuiltTree]] = \
        field(default_factory=dict)
    last_state: BranchState | None = None  # the target branch as last decided on
    since: str | None = None  # when the first rollout wave takes the commit (None: now)

    def render_on(self, state: BranchState, rollout: RolloutState | None = None) -> tuple[Rendered, BuiltTree]:
        decisions = head_decisions(self.landing, state)
        key = (decisions, rollout)
        if key not in self.renders:
            rendered = self.render(RenderRequest(self.folder, self.dst_env.name, self.commit, self.req.inventory,
                                                 previous_decisions(decisions), rollout,
                                                 held_versions(self.landing, rollout)))
            tree = build_tree(rendered.files, self.source.algo)
            self.check_charts(rendered, tree)
            self.renders[key] = (rendered, tree)
        self.rendered = self.renders[key][0]
        return self.renders[key]

    def check_charts(self, rendered: Rendered, tree: BuiltTree) -> None:
        head = self.src_state.head
        assert head is not None
        repo = rendered.repo
        found = chart_differences(
            self.landing.listing(head.tree),
            lambda oid: self.source.git.run("cat-file", "blob", oid).stdout,
            tree,
            source_branch=self.src_env.branch,
            disabled_in_source={w.name for w in repo.workloads if not w.enabled_in(self.src_env.name)} if repo else (),
            disabled_in_target={w.name for w in repo.workloads if not w.enabled_in(self.dst_env.name)} if repo else (),
        )
        if found:
            raise UserError("\n".join([
                f"the charts for {self.dst_env.name} differ from {self.src_env.branch}'s beyond environment values "
                "(values.yaml, Chart.yaml version/appVersion):",
                *[f"  {line}" for line in found[:50]],
                *([f"  ... and {len(found) - 50} more"] if len(found) > 50 else []),
                f"refusing to promote: publish {self.src_env.name} again with this i4qew ({__version__}) first",
            ]))

    def decide(self, state: BranchState) -> Proposal | Outcome:
        branch = self.dst_env.branch
        if state.drifted and not self.req.overwrite_drift:
            raise refuse_drift(state, "promote")
        self.last_state = state
        base_source = state.base.source if state.base else None
        if base_source and self.landing.relation(self.commit, base_source) == "older":
            return late_outcome(branch, base_source, self.commit)
        pins = WavePins.read(self.landing, state, self.dst_env, self.since)
        rendered, tree = self.render_on(state, pins.old)
        if state.head is not None and tree.oid == state.head.tree:
            return Outcome("unchanged", branch, state.head.sha, (
                f"{branch} already runs source commit {self.commit[:12]}: nothing to promote",))
        if pins.moves:
            rendered, tree = self.render_on(state, pins.new)
        assert self.src_state.head is not None
        changes = self.landing.changes(state, tree)
        ids = input_ids(self.source, self.commit, rendered.extra_inputs)
        trailers = [(T.SOURCE_COMMIT, self.commit), (T.PROMOTED_FROM, self.src_state.head.sha),
                    (T.VERSION, __version__), (T.ENVIRONMENT, self.dst_env.name),
                    (T.INPUTS, fingerprint(ids, self.dst_env.name, self.req.inventory)),
                    *[(T.INPUT_PATH, p) for p in rendered.extra_inputs], *pins.trailers(), (T.TREE, tree.oid)]
        intro = (f"Promotes source commit {self.commit}, which {self.src_env.branch} "
                 f"({self.src_state.head.sha[:12]}) was built from.")
        message = T.compose(f"i4qew: promote {self.dst_env.name} from {self.src_env.name} ({self.commit[:12]})",
                            [intro, changes.body(), pins.body(), overwrite_note(state)], trailers)
        return Proposal(tree, message, changes, pins.refs())


def _source_of(state: BranchState, src_env: Environment) -> tuple[str, tuple[str, ...]]:
    """The source commit the source branch was built from, and its recorded extra inputs."""
    if state.head is None:
        raise UserError(f"{state.branch} does not exist: publish {src_env.name} first")
    if state.drifted:
        raise UserError("\n".join([*state.drift_report(),
                                   f"refusing to promote from {state.branch}: it is not what i4qew built; "
                                   f"publish {src_env.name} again first"]))
    base = state.base
    assert base is not None and base.source is not None
    built_for = base.trailer(T.ENVIRONMENT)
    if built_for not in (None, src_env.name):
        raise UserError(f"{state.branch} was built for environment {built_for}, not {src_env.name}")
    return base.source, base.trailers.get(T.INPUT_PATH.lower(), ())


def promote(
    req: PromoteRequest,
    *,
    environ: Mapping[str, str] | None = None,
    render: RenderFn = render_source,
    before_push: BeforePush | None = None,
    open_merge_request: OpenMergeRequest | None = None,
) -> Outcome:
    environ = os.environ if environ is None else environ
    source = open_source(req.root, environ)
    settings = settings_at(source, input_ids(source, source.head).get("i4qew.yaml"))
    if settings is None:
        raise UserError("i4qew.yaml at the checked-out commit is missing or invalid: run i4qew validate")
    src_env, dst_env = environment(settings, req.source_env), environment(settings, req.target_env)
    if dst_env.promotes_from != src_env.name:
        raise UserError(f"{dst_env.name} is promoted from {dst_env.promotes_from or 'no environment'}, "
                        f"not from {src_env.name} (spec.environments[].promotesFrom in i4qew.yaml)")
    landing = make_landing(source, req.remote, req.push, req.dry_run, req.author, req.attempts, req.backoff,
                           environ)
    landing.before_push = before_push
    src_state = landing.state(src_env.branch)
    commit, extra = _source_of(src_state, src_env)
    if landing.remote is not None:
        landing.remote.fetch(commit)
    if not source.git.has_object(commit):
        raise UserError(f"source commit {commit[:12]}, which {src_env.branch} was built from, is neither in this "
                        "repository nor on the remote")
    with tempfile.TemporaryDirectory(prefix="i4qew-promote-") as tmp:
        folder = Path(tmp)
        materialise(source, commit, folder, extra)
        promoter = _Promoter(req, source, landing, render, folder, commit, extra, src_env, dst_env, src_state)
        if req.merge_request:
            outcome = _propose(promoter, environ, open_merge_request)
        else:
            outcome = landing.land(dst_env.branch, promoter.decide, verb="promoted")
    warnings = promoter.rendered.warnings if promoter.rendered else ()
    return Outcome(outcome.status, outcome.branch, outcome.commit, (*landing.notes, *outcome.lines), warnings)


def _propose(promoter: _Promoter, environ: Mapping[str, str], open_mr: OpenMergeRequest | None) -> Outcome:
    dst = promoter.dst_env
    branch = proposal_branch(dst.name, promoter.commit)
    promoter.since = proposed_since(promoter.landing, branch, dst)
    outcome, proposal = promoter.landing.propose(dst.branch, promoter.decide, branch)
    if outcome.status != "proposed" or proposal is None:
        return outcome
    title = f"i4qew: promote {dst.name} to {promoter.commit[:12]} (from {promoter.src_env.name})"
    description = describe_promotion(promoter, proposal)
    url = (open_mr or gitlab_opener(environ))(branch, dst.branch, title, description)
    return Outcome("proposed", branch, outcome.commit, (*outcome.lines, f"merge request: {url}"))
