"""The ids the placement checks over the inventory report (placement/checks.py, run
inside `validate` whenever clusters/ holds an inventory), documented and registered
here so that docs/rules.md and the corpus cover them."""

from __future__ import annotations

from i4qew.rules.registry import REGISTRY, describe

describe("placement-empty", "an effective placement selects at least one cluster of the inventory; the "
         "message names the conjunct that emptied it",
         stage="placement",
         passing=(
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}"
         ),
         failing=(
             "# policies/edge.yaml\n"
             "spec:\n"
             "  selector: \"site=porto\"   # no cluster in porto\n"
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}"
         ))
describe("model-not-distributed", "a workload lands only on clusters its model is distributed to",
         stage="placement",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  model: {name: detector, version: \"1\", mountPath: /models}\n"
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev-2, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}"
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
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev-2, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}"
         ))
describe("cluster-arch-label", "inventory clusters carry the architecture labels (arch.edge.i4q.eu/<arch>=true)",
         stage="placement",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  architectures: [amd64]\n"
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}"
         ),
         failing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  architectures: [amd64]\n"
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: porto-dev, labels: {site: porto, stage: dev}}   # no arch.edge.i4q.eu/<arch> label"
         ))
describe("capacity", "the requests placed on a cluster fit its allocatable (error above 100 %, warning "
         "above spec.capacity.warnAbovePercent)",
         stage="placement",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  resources:\n"
             "    requests: {cpu: '2'}\n"
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "status: {allocatable: {cpu: \"8\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "status: {allocatable: {cpu: \"8\"}}"
         ),
         failing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  resources:\n"
             "    requests: {cpu: '12'}   # 8 allocatable\n"
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "status: {allocatable: {cpu: \"8\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "status: {allocatable: {cpu: \"8\"}}"
         ))
describe("environment-collision", "no cluster is selected by the selectors of two environments",
         stage="placement",
         passing=(
             "# i4qew.yaml\n"
             "spec:\n"
             "  environments:\n"
             "    - {name: dev, selector: \"stage in (dev, lab)\"}\n"
             "    - {name: production, selector: \"stage=production\", promotesFrom: dev}\n"
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: lab-1, labels: {site: lab, stage: lab, arch.edge.i4q.eu/amd64: \"true\"}}"
         ),
         failing=(
             "# i4qew.yaml\n"
             "spec:\n"
             "  environments:\n"
             "    - {name: dev, selector: \"stage in (dev, lab)\"}\n"
             "    - {name: production, selector: \"stage in (production, lab)\", promotesFrom: dev}\n"
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: lab-1, labels: {site: lab, stage: lab, arch.edge.i4q.eu/amd64: \"true\"}}   # dev's and production's"
         ))
describe("environment-overlap", "one workload of two environments never lands on the same cluster",
         stage="placement",
         passing=(
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}"
         ),
         failing=(
             "# i4qew.yaml\n"
             "spec:\n"
             "  environments: [{name: dev}, {name: production, promotesFrom: dev}]   # no selectors\n"
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}"
         ))
describe("inventory-entry", "the inventory holds ManagedCluster objects (single, multi-document or kind: "
         "List)",
         stage="placement",
         passing=(
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}"
         ),
         failing=(
             "# clusters/managedclusters.yaml\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-dev, labels: {site: bologna, stage: dev, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "---\n"
             "kind: ManagedCluster\n"
             "metadata: {name: bologna-prod, labels: {site: bologna, stage: production, arch.edge.i4q.eu/amd64: \"true\"}}\n"
             "# clusters/extra.yaml\n"
             "apiVersion: v1\n"
             "kind: ConfigMap   # in clusters/\n"
             "metadata: {name: settings}"
         ))

PLACEMENT_RULES = frozenset(r.id for r in REGISTRY.values() if r.family == "placement")
