"""Delivery: what the hub compiler can express, checked at validation time so an MR
learns about it before a publish does."""

from __future__ import annotations

import re
from collections.abc import Iterator

from i4qew.model import Repo
from i4qew.problems import Problem, Severity
from i4qew.rules.registry import describe, rule
from i4qew.rules.walk import shorten


@rule(
    "placement-api",
    "with placementApi: PlacementRule, every effective placement is one label selector "
    "(no OR across keys, no cluster claims, no cluster sets)",
    passing="placementApi: PlacementRule\narchitectures: [amd64]          # one arch label",
    failing="placementApi: PlacementRule\narchitectures: [amd64, arm64]   # an OR across two labels",
)
def check_placement_api(repo: Repo) -> Iterator[Problem]:
    from i4qew.compile.hub import hub_problems

    for env in repo.repository.environments:
        for p in hub_problems(repo, env.name):
            if p.rule == "placement-api":
                yield p


@rule(
    "delivery-unsupported",
    "spec.delivery is a mode this version compiles (subscription)",
    passing="delivery: subscription",
    failing="delivery: argocd   # planned",
)
def check_delivery(repo: Repo) -> Iterator[Problem]:
    from i4qew.compile.hub import repository_problems

    envs = repo.repository.environments
    if envs:
        yield from (p for p in repository_problems(repo, envs[0].name) if p.rule == "delivery-unsupported")


# What ACM's Git channel can clone: http(s)/ssh/git URLs or scp-like `git@host:path`.
_GIT_URL = re.compile(r"(?:(?:https?|ssh|git)://[^\s/?#]+(?:/[^\s]*)?|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+)")


@rule(
    "git-url",
    "spec.git.url is a URL ACM can clone (https://, http://, ssh://, git:// or git@host:path), one line "
    "without spaces or control characters",
    passing="git: {url: https://gitlab.example.com/plant/edge.git}",
    failing="git: {url: gitlab.example.com/plant/edge}",
)
def check_git_url(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None:
        return
    url = doc.data["spec"]["git"]["url"]
    if not _GIT_URL.fullmatch(url) or any(not ch.isprintable() for ch in url):
        yield doc.problem(("spec", "git", "url"), "git-url",
                          f"git url {shorten(url)!r} is not a URL ACM can clone: use https://host/group/project.git "
                          "(or ssh://, git@host:group/project.git), without spaces or line breaks")


_PLACEHOLDER_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]*@)?[^/:\s]*\.invalid(?:[:/]|$)", re.I)


@rule(
    "git-url-placeholder",
    "spec.git.url is the repository's own URL, not the placeholder `i4qew init` writes (a host under .invalid, "
    "which never resolves: the hub could not clone it)",
    passing="git: {url: https://gitlab.example.com/plant/edge.git}",
    failing="git: {url: https://gitlab.example.invalid/change-me/edge.git}   # i4qew init's placeholder",
)
def check_git_url_placeholder(repo: Repo) -> Iterator[Problem]:
    doc = repo.repository.doc
    if doc is None:
        return
    url = doc.data["spec"]["git"]["url"]
    if _GIT_URL.fullmatch(url) and _PLACEHOLDER_HOST.match(url):
        yield doc.problem(("spec", "git", "url"), "git-url-placeholder",
                          f"git url {shorten(url)!r} is a placeholder: set it to the URL of this repository that "
                          "the ACM hub clones (i4qew init --git-url sets it)", Severity.WARNING)


# Ids reported by the placement checks over the inventory (placement/checks.py),
# which run inside `validate` whenever clusters/ holds an inventory.
describe("placement-empty", "an effective placement selects at least one cluster of the inventory; "
         "the message names the conjunct that emptied it", stage="placement",
         passing="placement: lrt   # env=lrt matches bologna-line1",
         failing="placement: lrt   # with model policy 'gpu': 0 clusters")
describe("model-not-distributed", "a workload lands only on clusters its model is distributed to",
         stage="placement",
         passing="the model's policy selects every cluster the workload's placement selects",
         failing="a workload on a cluster outside its model's placement")
describe("cluster-arch-label", "inventory clusters carry the architecture labels (arch.edge.i4q.eu/<arch>=true)",
         stage="placement",
         passing="labels: {arch.edge.i4q.eu/amd64: 'true'}",
         failing="labels: {}   # no architecture label: no workload with architectures lands here")
describe("capacity", "the requests placed on a cluster fit its allocatable (error above 100 %, "
         "warning above spec.capacity.warnAbovePercent)", stage="placement",
         passing="requests 2 CPU on a cluster with 8 allocatable",
         failing="requests 12 CPU on a cluster with 8 allocatable")
describe("environment-collision", "no cluster is selected by the selectors of two environments", stage="placement",
         passing="dev: stage=dev, production: stage=production",
         failing="dev: site=bologna, production: site in (bologna, porto)")
describe("environment-overlap", "one workload of two environments never lands on the same cluster",
         stage="placement",
         passing="the dev and production placements of sktime select disjoint clusters",
         failing="sktime-dev and sktime-production both on bologna-lab")
describe("inventory-entry", "the inventory holds ManagedCluster objects (single, multi-document or kind: List)",
         stage="placement",
         passing="kind: List\nitems: [{kind: ManagedCluster, ...}]",
         failing="kind: ConfigMap   # in clusters/")
