"""The parts of the generated README.md of a branch that several hubs follow (spec.hubs):
each hub's picture, the layout of hub/<hub>/ and how to bootstrap each hub, for either
delivery (compile/readme.py writes the rest)."""

from __future__ import annotations

from i4qew.compile.hub.names import (
    application_name,
    channel_name,
    gitops_cluster_name,
    hub_subscription_name,
)
from i4qew.model.repo import Repo


def fleet_pictures(repo: Repo) -> list[str]:
    """Each hub's placement picture."""
    lines = ["Each hub's placement over its own inventory: the site matrix and the page that shows every site,",
             "workload and cluster with each cluster's capacity headroom (download it and open it in a browser;",
             "it loads nothing from the network).", ""]
    return lines + [f"- hub `{h.name}`: [`placement/{h.name}/plan.html`](placement/{h.name}/plan.html), "
                    f"[`placement/{h.name}/plan.svg`](placement/{h.name}/plan.svg)" for h in repo.repository.hubs]


def fleet_layout(repo: Repo, env: str, staging: list[str]) -> list[str]:
    """Layout and bootstrap; `staging`: the README's lines about the models' staging charts."""
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    names = ", ".join(f"`{h.name}`" for h in r.hubs)
    argo = environment.delivery == "applicationset"
    if argo:
        a = r.argocd
        hub = [
            f"- `hub/<hub>/`: the hub resources of `{env}` on each hub ({names}; delivery: applicationset,",
            f"  {a.mode} mode). In the Argo CD namespace `{a.namespace}` of each hub: the GitOpsCluster",
            f"  `{gitops_cluster_name(repo, env)}` that registers that hub's clusters with that hub's Argo CD, and per",
            "  workload a Placement and an ApplicationSet `<workload>-" + env + "` whose Applications install",
            "  `charts/<workload>` with the workload's name as Helm release on that hub's clusters; in each",
            "  workload namespace the workload's Placement for governance policies.",
        ]
    else:
        hub = [
            f"- `hub/<hub>/`: the ACM resources of `{env}` on each hub ({names}): Namespaces, the Channel",
            f"  `{channel_name(repo, env)}`, a Subscription and a Placement per workload, and in each workload",
            f"  namespace an Application `{application_name(repo, env)}`.",
        ]
    lines = [
        "",
        "- `charts/<workload>/`: a Helm chart per workload, shared by every hub.",
        *hub,
        "- `placement/<hub>/`, `models/<hub>/index.json`: each hub's placement decisions over its own",
        "  inventory (and its placement picture, `plan.html` and `plan.svg`) and the model versions its",
        "  placements need.",
        *staging,
        "",
        "## Bootstrap each hub (once)",
        "",
        "As a cluster admin, on each hub with ACM and OpenShift GitOps:" if argo else
        "As an ACM subscription admin, on each hub:",
        "",
        "```sh",
        *(f"i4qew bootstrap --env {env} --hub {h.name} | kubectl apply -f -   # on hub {h.name}" for h in r.hubs),
        "```",
        "",
    ]
    if argo:
        return [
            *lines,
            f"Each creates the Argo CD Application `{r.argocd.namespace}/{hub_subscription_name(repo, env)}` on its hub,",
            f"which applies that hub's `hub/<hub>/` from branch `{environment.branch}`; from then on every change",
            "arrives through Git (docs/argocd.md, docs/hubs.md).",
        ]
    return [
        *lines,
        f"Each creates a hub-local Subscription `{hub_subscription_name(repo, env)}` that applies that hub's",
        f"`hub/<hub>/` from branch `{environment.branch}`; from then on every change arrives through Git.",
    ]
