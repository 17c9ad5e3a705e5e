"""The ids the placement checks over the inventory report (placement/checks.py, run
inside `validate` whenever clusters/ holds an inventory), documented and registered
here so that docs/rules.md and the corpus cover them."""

from __future__ import annotations

from i4qew.rules.registry import REGISTRY, describe


def _clusters(*more: str, allocatable: str = "") -> str:
    """The examples' inventory: bologna-dev and bologna-prod (amd64), then `more`
    ManagedClusters (each the text after `kind: ManagedCluster`)."""
    status = f"\nstatus: {{allocatable: {allocatable}}}" if allocatable else ""
    clusters = [
        "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}" + status,
        "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}"
        + status,
        *more,
    ]
    return "# clusters/managedclusters.yaml\n" + "\n---\n".join(f"kind: ManagedCluster\n{c}" for c in clusters)


_DEV_2 = "metadata: {name: bologna-dev-2, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}"
_LAB = "metadata: {name: lab-1, labels: {site: lab, stage: lab, arch.edge.i4q.eu/amd64: \"true\"}}"

describe("placement-empty", "an effective placement selects at least one cluster of the inventory; the "
         "message names the conjunct that emptied it",
         stage="placement",
         passing=(
             "# policies/edge.yaml\n"
             "spec:\n"
             "  selector: \"site=bologna\"   # both clusters\n"
             + _clusters()
         ),
         failing=(
             "# policies/edge.yaml\n"
             "spec:\n"
             "  selector: \"site=porto\"   # no cluster in porto\n"
             + _clusters()
         ))
describe("model-not-distributed", "a workload lands only on clusters its model is distributed to",
         stage="placement",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  model: {name: detector, version: \"1\", mountPath: /models}   # the model goes where app goes\n"
             + _clusters(_DEV_2)
         ),
         failing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  model: {name: detector, version: \"1\", mountPath: /models}\n"
             "# models/detector.yaml\n"
             "spec:\n"
             "  placement: cache\n"
             "# policies/cache.yaml\n"
             "apiVersion: edge.i4q.eu/v1alpha1\n"
             "kind: PlacementPolicy\n"
             "metadata: {name: cache}\n"
             "spec: {selector: \"site=bologna\", maxClusters: 1}   # the model goes to one cluster, app to two in dev\n"
             + _clusters(_DEV_2)
         ))
describe("cluster-arch-label", "inventory clusters carry the architecture labels (arch.edge.i4q.eu/<arch>=true)",
         stage="placement",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  architectures: [amd64]\n"
             + _clusters()
         ),
         failing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  architectures: [amd64]\n"
             + _clusters("metadata: {name: porto-dev, labels: {site: porto, stage: dev}}   "
                         "# no arch.edge.i4q.eu/<arch> label")
         ))
describe("capacity", "the requests placed on a cluster fit its allocatable (error above 100 %, warning "
         "above spec.capacity.warnAbovePercent)",
         stage="placement",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  resources:\n"
             "    requests: {cpu: '2'}\n"
             + _clusters(allocatable="{cpu: \"8\"}")
         ),
         failing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  resources:\n"
             "    requests: {cpu: '12'}   # 8 allocatable\n"
             + _clusters(allocatable="{cpu: \"8\"}")
         ))
describe("environment-collision", "no cluster is selected by the selectors of two environments",
         stage="placement",
         passing=(
             "# i4qew.yaml\n"
             "spec:\n"
             "  environments:\n"
             "    - {name: dev, selector: \"stage in (dev, lab)\"}\n"
             "    - {name: production, selector: \"stage=production\", promotesFrom: dev}\n"
             + _clusters(_LAB)
         ),
         failing=(
             "# i4qew.yaml\n"
             "spec:\n"
             "  environments:\n"
             "    - {name: dev, selector: \"stage in (dev, lab)\"}\n"
             "    - {name: production, selector: \"stage in (production, lab)\", promotesFrom: dev}\n"
             + _clusters(_LAB + "   # dev's and production's")
         ))
describe("environment-overlap", "one workload of two environments never lands on the same cluster",
         stage="placement",
         passing=(
             "# i4qew.yaml\n"
             "spec:\n"
             "  environments:   # app of dev on bologna-dev, app of production on bologna-prod\n"
             "    - {name: dev, selector: \"stage=dev\"}\n"
             "    - {name: production, selector: \"stage=production\", promotesFrom: dev}\n"
             + _clusters()
         ),
         failing=(
             "# i4qew.yaml\n"
             "spec:\n"
             "  # no selectors: app of dev and app of production both on both clusters\n"
             "  # (environment-collision is reported too: the two environments select the same clusters)\n"
             "  environments: [{name: dev}, {name: production, promotesFrom: dev}]\n"
             + _clusters()
         ))
describe("inventory-entry", "the inventory holds ManagedCluster objects (single, multi-document or kind: "
         "List)",
         stage="placement",
         passing=_clusters(),
         failing=(
             _clusters() + "\n"
             "# clusters/extra.yaml\n"
             "apiVersion: v1\n"
             "kind: ConfigMap   # in clusters/\n"
             "metadata: {name: settings}"
         ))

# A fleet of hubs (spec.hubs, placement/fleet.py): the inventories of two hubs.
_TWO_HUBS = "# i4qew.yaml\nspec:\n  hubs: [{name: east}, {name: west}]\n"


def _hub_inventory(path: str, *names: str) -> str:
    """One hub's inventory file: clusters `name:stage` at site bologna."""
    clusters = [f"kind: ManagedCluster\nmetadata: {{name: {n.split(':')[0]}, labels: {{site: bologna, "
                f"stage: {n.split(':')[1]}}}}}" for n in names]
    return f"# {path}\n" + "\n---\n".join(clusters) + "\n"


describe("hub-cluster-duplicate", "a cluster is in the inventory of one hub only (clusters/<hub>/)",
         stage="placement",
         passing=(_TWO_HUBS + _hub_inventory("clusters/east/sites.yaml", "bologna-dev:dev", "bologna-prod:production")
                  + _hub_inventory("clusters/west/sites.yaml", "bologna-lab:dev")),
         failing=(_TWO_HUBS + _hub_inventory("clusters/east/sites.yaml", "bologna-dev:dev", "bologna-prod:production")
                  + _hub_inventory("clusters/west/sites.yaml", "bologna-prod:production")
                  + "# bologna-prod: under east and under west"))
describe("hub-cluster-limit", "a hub holds at most its managedClusterLimit clusters (default and maximum 3500, "
         "the managed clusters ACM documents for one hub: docs/hubs.md)",
         stage="placement",
         passing=("# i4qew.yaml\nspec:\n  hubs: [{name: east, managedClusterLimit: 2}]\n"
                  + _hub_inventory("clusters/east/sites.yaml", "bologna-dev:dev", "bologna-prod:production")),
         failing=("# i4qew.yaml\nspec:\n  hubs: [{name: east, managedClusterLimit: 1}]   # two clusters below\n"
                  + _hub_inventory("clusters/east/sites.yaml", "bologna-dev:dev", "bologna-prod:production")))
describe("hub-inventory", "with spec.hubs, every inventory file is in a hub's folder clusters/<hub>/",
         stage="placement",
         passing=("# i4qew.yaml\nspec:\n  hubs: [{name: east}]\n"
                  + _hub_inventory("clusters/east/sites.yaml", "bologna-dev:dev", "bologna-prod:production")),
         failing=("# i4qew.yaml\nspec:\n  hubs: [{name: east}]\n"
                  + _hub_inventory("clusters/east/sites.yaml", "bologna-dev:dev", "bologna-prod:production")
                  + _hub_inventory("clusters/sites.yaml", "porto-dev:dev") + "# in no hub's folder: planned nowhere"))


def _dev_waves(waves: str, *clusters: str, policy: str = "", note: str = "") -> str:
    """An example: dev rolls out in `waves` (flow sequence) over bologna-dev, bologna-prod and `clusters`."""
    return ("# i4qew.yaml\n"
            "spec:\n"
            f"  environments:{'   # ' + note if note else ''}\n"
            f"    - {{name: dev, selector: \"stage=dev\", waves: {waves}}}\n"
            "    - {name: production, selector: \"stage=production\", promotesFrom: dev}\n"
            + (f"# policies/edge.yaml\nspec:\n  selector: \"{policy}\"\n" if policy else "")
            + _clusters(*clusters))


_LAB_ARM = "metadata: {name: lab-dev, labels: {site: lab, stage: dev, arch.edge.i4q.eu/arm64: \"true\"}}"

describe("wave-empty", "every rollout wave holds at least one cluster of each workload's placement",
         stage="placement",
         passing=_dev_waves("[{name: canary, clusters: 1}, {name: rest}]", _DEV_2),
         failing=_dev_waves("[{name: canary, clusters: 1}, {name: porto, selector: \"site=porto\"}, {name: rest}]",
                            _DEV_2, note="no cluster in porto"))
describe("wave-whole", "no rollout wave holds every cluster of a workload (the rollout would reach them all "
         "at once)",
         stage="placement",
         passing=_dev_waves("[{name: canary, clusters: 1}, {name: rest}]", _DEV_2),
         failing=_dev_waves("[{name: canary, selector: \"site=bologna\"}, {name: rest}]", _DEV_2,
                            note="the canary holds both dev clusters"))
describe("wave-canary", "the first rollout wave shares a site or an architecture with the rest (else it proves "
         "nothing about them)",
         stage="placement",
         passing=_dev_waves("[{name: canary, clusters: 1}, {name: rest}]", _DEV_2, note="bologna and amd64 both"),
         failing=_dev_waves("[{name: canary, selector: \"site=lab\"}, {name: rest}]", _LAB_ARM,
                            policy="site in (bologna, lab)", note="canary lab/arm64, rest bologna/amd64"))
describe("wave-share", "waves that only cluster names can say (clusters or percent, or maxClusters on the "
         "placement) have the cluster inventory (clusters/) to draw the names from",
         stage="placement",
         passing=_dev_waves("[{name: canary, percent: 50}, {name: rest}]", _DEV_2),
         failing=("# i4qew.yaml\n"
                  "spec:\n"
                  "  environments:   # and no clusters/ folder\n"
                  "    - {name: dev, selector: \"stage=dev\", waves: [{name: canary, percent: 50}, {name: rest}]}\n"
                  "    - {name: production, selector: \"stage=production\", promotesFrom: dev}\n"))

PLACEMENT_RULES = frozenset(r.id for r in REGISTRY.values() if r.family == "placement")
