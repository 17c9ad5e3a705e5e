"""ACM hub resources of one environment (`hub/` on the environment branch).

Layout (the hub-local subscription of `i4qew bootstrap` applies the whole folder).
ACM's Git subscriber applies single-document files holding a Namespace (or a CRD)
first, then RBAC, then every other file; a multi-document file always counts as
"other" (multicloud-operators-subscription pkg/utils/gitrepo.go sortKubeResource),
so each Namespace has a file of its own:

    hub/namespaces/<ns>.yaml                 the channel namespace and every workload namespace
    hub/channel.yaml                         the Git Channel `<repo>-<env>`
    hub/channel-ca.yaml                      its CA ConfigMap `<repo>-<env>-ca` (with spec.git.caFile)
    hub/apps/<ns>/application.yaml           Application `<repo>-<env>` grouping the subscriptions
    hub/apps/<ns>/clustersetbindings.yaml    a ManagedClusterSetBinding per cluster set used
    hub/apps/<ns>/workloads/<workload>.yaml  Subscription + Placement (or PlacementRule)
    hub/apps/<ns>/models/<model>.yaml        Subscription + Placement of a model's staging chart
                                             (compile/hub/staging.py), in spec.models.namespace
                                             or, for a PVC model, each workload namespace using it
    hub/apps/<models-ns>/policies.yaml       the stagings' Policies: the Models' pull secrets, Pod
    hub/apps/<ns>/model-policies.yaml        Security labels (compile/hub/policy_staging.py)
    hub/apps/<ns>/policies.yaml              governance Policies + a PlacementBinding per workload
                                             (compile/hub/policies.py: Pod Security labels, pull secrets)

With `delivery: applicationset` the environment's Argo CD objects go to
`hub/argocd/` (compile/hub/argocd.py) instead of the Channel, Subscriptions and
Applications; each workload namespace keeps its Placement, which governance
PlacementBindings (namespace-local) bind to:

    hub/argocd/gitopscluster.yaml            GitOpsCluster `<repo>-<env>` + its Placement
    hub/argocd/clustersetbindings.yaml       a ManagedClusterSetBinding per cluster set used
    hub/argocd/applicationsets/<workload>.yaml  Placement + ApplicationSet `<workload>-<env>`
                                             (with waves: both per wave, `<workload>-<env>-<wave>`)
    hub/argocd/stagings/<ns>/<model>.yaml    Placement + ApplicationSet `<ns>-<model>-<env>` of a
                                             model's staging chart (compile/hub/argocd_staging.py)
    hub/apps/<ns>/workloads/<workload>.yaml  the Placement in the workload namespace
    hub/apps/<ns>/models/<model>.yaml        a staging's Placement in its namespace
    hub/apps/<ns>/policies.yaml              governance Policies bound to them (model-policies.yaml:
                                             the stagings' in a workload namespace)
    hub/rollout.yaml                         with waves: the rollout state (compile/hub/rollout_state.py)

Per-environment objects carry the environment in their name. Namespaces and
ManagedClusterSetBindings cannot (a binding's name is its cluster set's), so
dev and production ship byte-identical copies of them: environment-neutral
labels, `reconcile-option: merge` (a second hub-local subscription merges into
the first one's object instead of backing off or taking it over) and
`do-not-delete` (an environment that stops using a namespace must not delete it
from under the other environment's subscriptions).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence, Set
from pathlib import PurePosixPath
from typing import Any, Final

from i4qew.compile import Tree
from i4qew.compile.hub.argocd import (
    applicationset,
    argocd_placement,
    environment_placement,
    gitops_cluster,
    workload_unit,
)
from i4qew.compile.hub.argocd_staging import argocd_staging_docs
from i4qew.compile.hub.argocd_waves import wave_applicationsets
from i4qew.compile.hub.names import (
    APP_LABEL,
    ARGOCD_SHARED,
    ARGOCD_SYNC_OPTIONS,
    DO_NOT_DELETE,
    RECONCILE_OPTION,
    RECONCILE_RATE,
    app_label,
    application_name,
    channel_ca_name,
    channel_name,
    env_labels,
    shared_labels,
    subscription_name,
    wave_name,
)
from i4qew.compile.hub.placement import placement, placement_rule
from i4qew.compile.hub.policies import compile_policies
from i4qew.compile.hub.policy_staging import staging_policies
from i4qew.compile.hub.rollout_state import PATH as ROLLOUT_PATH
from i4qew.compile.hub.rollout_state import RolloutState, configmap
from i4qew.compile.hub.staging import staging_docs
from i4qew.compile.hub.subscription_doc import SUBSCRIPTION_API, subscription
from i4qew.compile.hub.waves import grouped_placement, wave_documents
from i4qew.compile.staging.names import staging_hub_name
from i4qew.compile.yaml_writer import dump
from i4qew.model.repo import Environment, Repo
from i4qew.placement.effective import EffectivePlacement
from i4qew.placement.expressible import environment_placements, hub_problems
from i4qew.placement.staging import Staging, stagings
from i4qew.problems import UserError

BINDING_API: Final = "cluster.open-cluster-management.io/v1beta2"
APPLICATION_API: Final = "app.k8s.io/v1beta1"
# The hub-local subscription's option for the plain YAML of hub/ (Channel,
# Placements, Applications): Git is the source of truth, so `replace` updates each
# object to exactly what the branch holds and a field deleted in Git is deleted on
# the hub too (`merge`, the default, never removes a field). Workload Subscriptions
# carry no option: they deliver a Helm chart, whose only object is the HelmRelease
# ACM builds without the annotation and always updates (synchronizer.go
# updateResourceByTemplateUnit), and a Subscription is itself always replaced.
RECONCILE: Final = "replace"
SHARED_RECONCILE: Final = "merge"
# The key ACM reads the Channel's CA bundle from (apps/v1 ChannelCertificateData).
CA_KEY: Final = "caCerts"


def yaml_docs(docs: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(b"---\n" + dump(d) for d in docs)


def namespace(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": shared_labels(),
            "annotations": shared_annotations(),
        },
    }


def shared_annotations() -> dict[str, str]:
    """Whichever delivery applies it (ACM's hub-local subscription or an Argo CD
    Application), an object every environment ships is never deleted by one of them."""
    return {DO_NOT_DELETE: "true", RECONCILE_OPTION: SHARED_RECONCILE, ARGOCD_SYNC_OPTIONS: ARGOCD_SHARED}


def channel(repo: Repo, env: str) -> dict[str, Any]:
    r = repo.repository
    spec: dict[str, Any] = {"type": "Git", "pathname": r.git_url}
    if r.git_secret_ref:
        spec["secretRef"] = {"name": r.git_secret_ref}
    if r.git_ca_file:
        # Read from the Channel's own namespace (FetchChannelReferences ignores any other).
        spec["configMapRef"] = {"name": channel_ca_name(repo, env)}
    elif r.git_insecure:  # validation refuses both: with it ACM would ignore the CA
        spec["insecureSkipVerify"] = True
    metadata: dict[str, Any] = {"name": channel_name(repo, env), "namespace": r.channel_namespace,
                                "labels": env_labels(repo, env)}
    if r.reconcile_rate:
        metadata["annotations"] = {RECONCILE_RATE: r.reconcile_rate}
    return {"apiVersion": SUBSCRIPTION_API, "kind": "Channel", "metadata": metadata, "spec": spec}


def channel_ca(repo: Repo, env: str) -> dict[str, Any] | None:
    """The ConfigMap with the Git server's CA bundle the Channel names, or None."""
    r = repo.repository
    if not r.git_ca_file:
        return None
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": channel_ca_name(repo, env), "namespace": r.channel_namespace,
                     "labels": env_labels(repo, env)},
        "data": {CA_KEY: repo.files[str(PurePosixPath(r.git_ca_file))]},
    }


def binding(ns: str, cluster_set: str) -> dict[str, Any]:
    return {
        "apiVersion": BINDING_API,
        "kind": "ManagedClusterSetBinding",
        # OCM requires the binding's name to be the cluster set's.
        "metadata": {
            "name": cluster_set,
            "namespace": ns,
            "labels": shared_labels(),
            "annotations": shared_annotations(),
        },
        "spec": {"clusterSet": cluster_set},
    }


def application(repo: Repo, env: str, ns: str, subscriptions: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": APPLICATION_API,
        "kind": "Application",
        "metadata": {
            "name": application_name(repo, env),
            "namespace": ns,
            "labels": env_labels(repo, env),
            # What the ACM console reads to list the application's subscriptions.
            "annotations": {
                "apps.open-cluster-management.io/deployables": "",
                "apps.open-cluster-management.io/subscriptions": ",".join(f"{ns}/{s}" for s in subscriptions),
            },
        },
        "spec": {
            "componentKinds": [{"group": "apps.open-cluster-management.io", "kind": "Subscription"}],
            "descriptor": {},
            "selector": {"matchExpressions": [{"key": APP_LABEL, "operator": "In", "values": [app_label(repo, env)]}]},
        },
    }


def compile_hub(repo: Repo, env: str, image: frozenset[str] = frozenset(), *, rollout: RolloutState | None = None,
                wave_members: Mapping[str, Sequence[Sequence[str]]] | None = None,
                namespaces: Set[str] | None = None) -> Tree:
    """The hub/ folder of environment `env`; raises UserError with every problem first.
    `image`: the models mounted as image volumes in `env` (no staging for them).
    `namespaces` (Subscription delivery): only what those namespaces own (hub/apps/<ns>/,
    hub/namespaces/<ns>.yaml) besides the shared files, for compile/incremental.py; the
    stagings that live there still follow every workload of the repository.

    With waves: `rollout` is the branch's state (None: every wave follows the head) and
    `wave_members` ("namespace/workload" -> each wave's cluster names) what the
    inventory decided, for waves that labels cannot say (compile/hub/waves.py)."""
    problems = hub_problems(repo, env)
    if problems:
        raise UserError(problems)
    if repo.repository.delivery_of(env) == "applicationset":
        if namespaces is not None:
            raise ValueError("compile_hub renders namespaces apart only with Subscription delivery")
        return compile_applicationsets(repo, env, image, rollout=rollout, wave_members=wave_members)
    waved = _waved(repo, env)
    state = rollout or RolloutState()
    rule_mode = repo.repository.placement_api == "PlacementRule"
    by_ns = _by_namespace(repo if namespaces is None else dataclasses.replace(
        repo, workloads=tuple(w for w in repo.workloads if w.namespace in namespaces)), env)
    staged, staging_list = staging_docs(repo, env, image, namespaces)
    staged_in: dict[str, list[Staging]] = {}
    for s in staging_list:
        staged_in.setdefault(s.namespace, []).append(s)
    ns_names = sorted({repo.repository.channel_namespace, *by_ns, *staged_in})
    tree: Tree = {f"hub/namespaces/{n}.yaml": yaml_docs([namespace(n)]) for n in ns_names}
    tree["hub/channel.yaml"] = yaml_docs([channel(repo, env)])
    ca = channel_ca(repo, env)
    if ca is not None:
        tree["hub/channel-ca.yaml"] = yaml_docs([ca])
    for ns in sorted({*by_ns, *staged_in}):
        eps, here = by_ns.get(ns, []), staged_in.get(ns, [])
        base = f"hub/apps/{ns}/"
        subs = (sorted(wave_name(ep.workload, env, w.name) for ep in eps for w in ep.workload.waves_for(waved))
                if waved is not None else [subscription_name(ep.workload, env) for ep in eps])
        subs += [staging_hub_name(s.model.name, env) for s in here]
        tree[base + "application.yaml"] = yaml_docs([application(repo, env, ns, subs)])
        sets = sorted({s for ep in eps for s in ep.cluster_sets} | {c for s in here for c in s.cluster_sets})
        if sets and not rule_mode:  # PlacementRule knows no cluster sets
            tree[base + "clustersetbindings.yaml"] = yaml_docs(binding(ns, s) for s in sets)
        for ep in eps:
            # In their own folder: a workload named `application` must not replace the Application.
            path = f"{base}workloads/{ep.workload.name}.yaml"
            if waved is not None:
                key = f"{ep.workload.namespace}/{ep.workload.name}"
                members = (wave_members or {}).get(key)
                tree[path] = yaml_docs(wave_documents(repo, waved, ep, state, members))
                continue
            where = placement_rule(repo, ep) if rule_mode else placement(repo, ep)
            tree[path] = yaml_docs([subscription(repo, env, ep.workload), where])
    if waved is not None:
        tree[ROLLOUT_PATH] = yaml_docs([configmap(repo, env, [w.name for w in waved.waves], state)])
    tree.update(compile_policies(repo, env, {ns: [ep.workload for ep in eps] for ns, eps in by_ns.items()}, image))
    tree.update({path: yaml_docs(docs) for path, docs in staged.items()})
    tree.update(staging_policies(repo, env, staging_list))
    return dict(sorted(tree.items()))


def _waved(repo: Repo, env: str) -> Environment | None:
    environment = repo.repository.environment(env)
    return environment if environment is not None and environment.waves else None


def _by_namespace(repo: Repo, env: str) -> dict[str, list[EffectivePlacement]]:
    by_ns: dict[str, list[EffectivePlacement]] = {}
    for ep in environment_placements(repo, env):
        by_ns.setdefault(ep.workload.namespace, []).append(ep)
    return by_ns


def compile_applicationsets(repo: Repo, env: str, image: frozenset[str] = frozenset(), *,
                            rollout: RolloutState | None = None,
                            wave_members: Mapping[str, Sequence[Sequence[str]]] | None = None) -> Tree:
    """hub/ of an environment with delivery: applicationset (see the module docstring).
    The models' staging charts come by ApplicationSets too (compile/hub/argocd_staging.py);
    with waves, per wave a Placement and a pinned ApplicationSet (compile/hub/argocd_waves.py)."""
    by_ns = _by_namespace(repo, env)
    waved = _waved(repo, env)
    state = rollout or RolloutState()
    found = stagings(repo, env, image)
    staged_in: dict[str, list[Staging]] = {}
    for st in found:
        staged_in.setdefault(st.namespace, []).append(st)
    argo = "hub/argocd/"
    all_sets = sorted({s for eps in by_ns.values() for ep in eps for s in ep.cluster_sets}
                      | {c for st in found for c in st.cluster_sets})
    namespaces = sorted({*by_ns, *staged_in})
    tree: Tree = {f"hub/namespaces/{n}.yaml": yaml_docs([namespace(n)]) for n in namespaces}
    tree |= {
        argo + "gitopscluster.yaml": yaml_docs([gitops_cluster(repo, env),
                                                environment_placement(repo, env, all_sets or
                                                                      list(repo.repository.cluster_sets))]),
        argo + "clustersetbindings.yaml": yaml_docs(binding(repo.repository.argocd.namespace, s)
                                                    for s in all_sets or repo.repository.cluster_sets),
    }
    for ns in namespaces:
        eps, here = by_ns.get(ns, []), staged_in.get(ns, [])
        base = f"hub/apps/{ns}/"
        sets = sorted({s for ep in eps for s in ep.cluster_sets} | {c for st in here for c in st.cluster_sets})
        if sets:
            tree[base + "clustersetbindings.yaml"] = yaml_docs(binding(ns, s) for s in sets)
        for ep in eps:
            w = ep.workload
            if waved is not None:
                members = (wave_members or {}).get(f"{w.namespace}/{w.name}")
                tree[f"{base}workloads/{w.name}.yaml"] = yaml_docs([grouped_placement(repo, waved, ep)])
                tree[f"{argo}applicationsets/{w.name}.yaml"] = yaml_docs(
                    wave_applicationsets(repo, waved, ep, state, members))
                continue
            tree[f"{base}workloads/{w.name}.yaml"] = yaml_docs([placement(repo, ep)])
            tree[f"{argo}applicationsets/{w.name}.yaml"] = yaml_docs([
                argocd_placement(repo, ep), applicationset(repo, env, workload_unit(repo, env, w))])
    if waved is not None:
        tree[ROLLOUT_PATH] = yaml_docs([configmap(repo, env, [w.name for w in waved.waves], state)])
    # Governance Policies bind (PlacementBindings are namespace-local) to the Placements above.
    tree.update(compile_policies(repo, env, {ns: [ep.workload for ep in eps] for ns, eps in by_ns.items()}, image))
    tree.update({path: yaml_docs(docs) for path, docs in argocd_staging_docs(repo, env, found).items()})
    tree.update(staging_policies(repo, env, found))
    return dict(sorted(tree.items()))
