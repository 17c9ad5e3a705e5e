"""The generated README.md at the root of an environment branch.

Its first line is the marker `emit.write_tree` and publish use to recognise a
tree i4qew wrote. It states the source commit the branch was built from, what
is deployed where and how a hub is pointed at the branch.
"""

from __future__ import annotations

from collections.abc import Mapping

from i4qew.compile.hub.names import (
    application_name,
    channel_ca_name,
    channel_name,
    gitops_cluster_name,
    hub_subscription_name,
    subscription_name,
)
from i4qew.compile.readme_fleet import fleet_layout, fleet_pictures
from i4qew.model.repo import Repo, Workload
from i4qew.placement.staging import stagings

# The README's first line: how `emit.write_tree` and publish recognise a tree i4qew wrote.
GENERATED_MARKER = "<!-- i4qew:generated -->"
UNCOMMITTED = "uncommitted"
SOURCE_LINE = "- Source commit: "
HEADER = "|---|---|---|---|---|---|"  # the line above the table's rows


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _rows(repo: Repo, env: str, counts: Mapping[str, int] | None) -> list[str]:
    return [row(repo, env, w, counts) for w in sorted(repo.workloads, key=lambda w: (w.namespace, w.name))
            if w.enabled_in(env)]


def row(repo: Repo, env: str, w: Workload, counts: Mapping[str, int] | None) -> str:
    """The line of the table "What is deployed where" of an enabled workload."""
    environment = repo.repository.environment(env)
    spec = w.spec_for(env)
    model = spec.get("model")
    model_text = f"{model['name']} {model['version']}" if model else "—"
    clusters = "—" if counts is None else str(counts.get(f"{w.namespace}/{w.name}", 0))
    waves = w.waves_for(environment) if environment is not None else ()
    subscription = (f"`{subscription_name(w, env)}-<wave>` ({', '.join(x.name for x in waves)})" if waves
                    else f"`{subscription_name(w, env)}`")
    cells = [f"`{w.name}`", f"`{w.namespace}`", f"`{spec['image']}`", model_text, clusters, subscription]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def row_key(line: str) -> str | None:
    """"namespace/workload" of a line of that table (its first two cells: DNS names, never
    escaped); None for any other line."""
    if not line.startswith("| ") or not line.endswith(" |"):
        return None
    cells = line[2:-2].split(" | ")
    return f"{cells[1].strip('`')}/{cells[0].strip('`')}" if len(cells) >= 6 else None


def source_line(source_commit: str | None) -> str:
    source = f"`{source_commit}`" if source_commit else f"{UNCOMMITTED} (not rendered from a git commit)"
    return f"{SOURCE_LINE}{source}"


NO_INVENTORY = "No cluster inventory was given, so the cluster counts are unknown; the hub decides."


class Unreadable(ValueError):
    """A README that `render_readme` did not write as `read_counts` expects."""


def read_counts(readme: bytes) -> dict[str, int] | None:
    """The `cluster_counts` a README of `render_readme` was written with, as far as it
    shows them (the enabled workloads' rows; every other key counts 0 alike): None when
    it says no inventory was given. Raises Unreadable otherwise."""
    try:
        lines = readme.decode("utf-8").split("\n")
    except UnicodeDecodeError as exc:
        raise Unreadable("not UTF-8") from exc
    if lines[0] != GENERATED_MARKER:
        raise Unreadable("not an i4qew README")
    if NO_INVENTORY in lines:
        return None
    counts: dict[str, int] = {}
    if HEADER not in lines:
        return counts  # no workload enabled
    for line in lines[lines.index(HEADER) + 1:]:
        if not line.startswith("| "):
            break
        # cells are joined by " | " and a "|" inside one is escaped (_cell): the name and the
        # namespace (DNS names) first, the count second to last
        cells = line[2:-2].split(" | ")
        if len(cells) < 6 or not line.endswith(" |") or not (cells[-2].isascii() and cells[-2].isdigit()):
            raise Unreadable(f"row {line[:80]!r}")
        counts[f"{cells[1].strip('`')}/{cells[0].strip('`')}"] = int(cells[-2])
    return counts


def _staging_lines(repo: Repo, env: str, image: frozenset[str]) -> list[str]:
    found = stagings(repo, env, image)
    if not found:
        return []
    names = ", ".join(f"`{s.model.name}` (`{s.namespace}`)" for s in found)
    argo = repo.repository.delivery_of(env) == "applicationset"
    if repo.repository.hubs and argo:  # the charts shared, each hub's Argo CD objects its own
        how = ["  a Placement and an ApplicationSet `<namespace>-<model>-" + env + "` each in the Argo CD namespace",
               "  of each hub (`hub/<hub>/argocd/stagings/`),"]
    elif repo.repository.hubs:  # the charts shared, each hub's Subscriptions and Placements its own
        how = ["  a Subscription and a Placement on each hub (`hub/<hub>/apps/<namespace>/models/`), grouped by",
               f"  the Application `{application_name(repo, env)}` of their namespace"]
    elif argo:
        how = ["  a Placement and an ApplicationSet `<namespace>-<model>-" + env + "` each in the Argo CD namespace",
               "  (like the workloads'),"]
    else:
        how = [f"  their own Subscription and Placement, grouped by the Application `{application_name(repo, env)}`",
               "  of their namespace"]
    how[-1] += (" installed" if how[-1].endswith(",") else " and installed") + \
        " wherever the model may serve a workload; a workload's"
    return [f"- `staging/<namespace>/<model>/`: the model stagers, {names}: Helm charts with", *how,
            "  pod waits in its gate until its model version is there, verified by digest (docs/models.md)."]
def _wave_lines(repo: Repo, env: str) -> list[str]:
    environment = repo.repository.environment(env)
    if environment is None or not environment.waves:
        return []
    names = ", ".join(w.name for w in environment.waves)
    return [f"- Rollout waves ({names}): per wave a Subscription and a Placement; `hub/rollout.yaml` holds",
            "  which commit each wave runs (a pinned wave follows its branch `<branch>-wave-<wave>`);",
            "  a new commit reaches the first wave only (docs/rollout.md in the i4qew repository)."]


def _fleet_wave_lines(repo: Repo, env: str) -> list[str]:
    environment = repo.repository.environment(env)
    if environment is None or not environment.waves:
        return []
    names = ", ".join(w.name for w in environment.waves)
    per = "a Subscription" if environment.delivery != "applicationset" else "an ApplicationSet"
    return [f"- Rollout waves ({names}): on each hub per wave {per} and a Placement over that hub's",
            "  clusters; `hub/rollout.yaml` (the environment's, applied by no hub) holds which commit each",
            "  wave runs on every hub; a new commit reaches the first wave only (docs/rollout.md, docs/hubs.md",
            "  in the i4qew repository)."]


def _needs(repo: Repo, env: str) -> list[str]:
    """What the hub and the edge clusters need for this branch to arrive and run."""
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    rate = {"low": "60 minutes", "medium": "3 minutes", "high": "2 minutes"}[r.reconcile_rate or "medium"]
    lines = [
        "## What the hub and the edge clusters need",
        "",
        f"- Git egress: the hub and every edge cluster a workload lands on clone branch `{environment.branch}`",
        f"  of {r.git_url} themselves (ACM's subscription agent and Helm controller on each",
        "  cluster): each needs HTTPS access to the Git server.",
        f"- Each Subscription re-clones the branch on each cluster every {rate}: keep the branch small.",
    ]
    if r.git_secret_ref:
        lines += [f"- Credentials: the Secret `{r.git_secret_ref}` (keys `user`, `accessToken`) in",
                  f"  `{r.channel_namespace}` on the hub, never in Git. ACM copies it into each workload",
                  "  namespace on each edge cluster the workload lands on: use a read-only deploy token."]
    if r.git_ca_file:
        lines.append(f"- TLS: the Git server's CA, from `{r.git_ca_file}`, in the ConfigMap "
                     f"`{channel_ca_name(repo, env)}` (key `caCerts`).")
    gpu = environment.gpu_runtime_class
    lines.append(f"- GPU workloads run with `runtimeClassName: {gpu}` (the RuntimeClass k3s ships for the NVIDIA"
                 " runtime)." if gpu else "- GPU workloads use the nodes' default runtime, which must be NVIDIA's.")
    return lines


def render_readme(repo: Repo, env: str, *, source_commit: str | None,
                  cluster_counts: Mapping[str, int] | None, image: frozenset[str] = frozenset()) -> bytes:
    """`cluster_counts` maps `<namespace>/<workload>` to the number of clusters the
    placement chose over the inventory; None when there is no inventory."""
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    rows = _rows(repo, env, counts=cluster_counts)
    lines = [
        GENERATED_MARKER,
        f"# {r.name} — environment `{env}`",
        "",
        "Generated by i4qew — do not edit. Every publish replaces this branch's content;",
        "change the declarations on the source branch instead.",
        "",
        source_line(source_commit),
        f"- Environment: `{env}`, branch `{environment.branch}`",
        f"- Repository: {r.git_url}",
        "",
        "## What is deployed where",
        "",
    ]
    if rows:
        clusters = "clusters (inventory)" if cluster_counts is not None else "clusters"
        by = "applicationset" if environment.delivery == "applicationset" else "subscription"
        lines += [f"| workload | namespace | image | model | {clusters} | {by} |",
                  HEADER, *rows]
    else:
        lines.append(f"No workload is enabled in `{env}`.")
    if cluster_counts is None:
        lines += ["", NO_INVENTORY]
    else:
        lines += ["", "Cluster counts are the placement decisions over the inventory at generation time",
                  "(`placement/`); the hub's Placements keep deciding as clusters change."]
    if r.hubs:
        needs = _argocd_needs(repo, env) if environment.delivery == "applicationset" else _needs(repo, env)
        lines += ["", "## Placement pictures", "", *fleet_pictures(repo), "", *needs, "", "## Layout",
                  *fleet_layout(repo, env, [*_fleet_wave_lines(repo, env), *_staging_lines(repo, env, frozenset())])]
        return ("\n".join(lines) + "\n").encode("utf-8")
    lines += ["", "## Placement picture", ""]
    if cluster_counts is not None:
        lines += [f"![Placement of {env} by site: the clusters each workload runs on per site](plan.svg)", ""]
    lines += [
        "[`plan.html`](plan.html) shows every site, workload and cluster, with each cluster's capacity",
        "headroom: download it and open it in a browser (it loads nothing from the network).",
    ]
    if environment.delivery == "applicationset":
        return ("\n".join(lines + _argocd_lines(repo, env, image)) + "\n").encode("utf-8")
    lines += [
        "",
        *_needs(repo, env),
        "",
        "## Layout",
        "",
        "- `charts/<workload>/`: a Helm chart per workload.",
        f"- `hub/`: the ACM resources of `{env}`: Namespaces (one file each: ACM applies those first),",
        f"  the Channel `{channel_name(repo, env)}`, a Subscription and a Placement per workload, and in each",
        f"  workload namespace an Application `{application_name(repo, env)}` that groups its Subscriptions",
        "  for the ACM console.",
        *_wave_lines(repo, env),
        "- `placement/`, `models/index.json`: placement decisions and the model versions each placement needs.",
        *_staging_lines(repo, env, image),
        "- `plan.html`, `plan.svg`: the placement picture (`i4qew plan --format html` / `svg`) at generation time.",
        "",
        "## Bootstrap a hub (once)",
        "",
        "As an ACM subscription admin, on the hub:",
        "",
        "```sh",
        f"i4qew bootstrap --env {env} | kubectl apply -f -",
        "```",
        "",
        f"This creates the hub-local Subscription `{r.channel_namespace}/{hub_subscription_name(repo, env)}`,",
        f"which applies `hub/` from branch `{environment.branch}`; from then on every change arrives through Git.",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _argocd_needs(repo: Repo, env: str) -> list[str]:
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    a = r.argocd
    if a.mode == "pull":
        needs = [
            f"- Pull mode: ACM hands each Application to the edge cluster's own Argo CD, in namespace `{a.namespace}`",
            "  (an upstream Argo CD on k3s); the hub needs no access to the edges' API servers.",
            f"- Git egress: every edge cluster a workload lands on clones branch `{environment.branch}` of",
            f"  {r.git_url} itself (and needs the repository credentials for a private repository).",
        ]
    else:
        needs = [
            f"- Push mode: the hub's Argo CD (`{a.namespace}`) clones branch `{environment.branch}` of {r.git_url}",
            "  and applies to each edge cluster's API server: the hub must reach it (port 6443 on k3s).",
        ]
    gpu = environment.gpu_runtime_class
    needs.append(f"- GPU workloads run with `runtimeClassName: {gpu}` (the RuntimeClass k3s ships for the NVIDIA"
                 " runtime)." if gpu else "- GPU workloads use the nodes' default runtime, which must be NVIDIA's.")
    return ["## What the hub and the edge clusters need", "", *needs]


def _argocd_lines(repo: Repo, env: str, image: frozenset[str]) -> list[str]:
    r = repo.repository
    environment = r.environment(env)
    assert environment is not None
    a = r.argocd
    return [
        "",
        *_argocd_needs(repo, env),
        "",
        "## Layout",
        "",
        "- `charts/<workload>/`: a Helm chart per workload.",
        f"- `hub/`: the hub resources of `{env}` (delivery: applicationset, {a.mode} mode). In the Argo CD",
        f"  namespace `{a.namespace}`: the GitOpsCluster `{gitops_cluster_name(repo, env)}` that registers the",
        "  environment's clusters with Argo CD, and per workload a Placement and an ApplicationSet",
        "  `<workload>-" + env + "` whose Applications install `charts/<workload>` with the workload's name",
        "  as Helm release; in each workload namespace the workload's Placement for governance policies.",
        "- `placement/`, `models/index.json`: placement decisions and the model versions each placement needs.",
        *_staging_lines(repo, env, image),
        "- `plan.html`, `plan.svg`: the placement picture (`i4qew plan --format html` / `svg`) at generation time.",
        "",
        "## Bootstrap a hub (once)",
        "",
        "As a cluster admin, on a hub with ACM and OpenShift GitOps:",
        "",
        "```sh",
        f"i4qew bootstrap --env {env} | kubectl apply -f -",
        "```",
        "",
        f"This creates the Argo CD Application `{a.namespace}/{hub_subscription_name(repo, env)}`, which applies",
        f"`hub/` from branch `{environment.branch}`; from then on every change arrives through Git (docs/argocd.md).",
    ]
