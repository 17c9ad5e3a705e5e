"""The placement picture of a fleet of hubs (`plan --format html/svg` with spec.hubs):
each hub's picture joined into one (placement/picture/fleet.py), sites named `<hub>/<site>`."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.model.repo import Repo
from i4qew.placement.fleet import load_hubs
from i4qew.placement.fleet_plan import build_fleet_plan, fleet_headline, fleet_totals
from i4qew.placement.picture.aggregate import ClusterRow, Free, Picture, SiteRow, build_picture
from i4qew.placement.picture.fleet import fleet_picture
from i4qew.placement.picture.page import render_html
from i4qew.validation import validate_repo
from tests.support.hubs import TWO_HUBS, two_hubs


def _repo(root: Path) -> Repo:
    repo = validate_repo(root).repo
    assert repo is not None
    return repo


def _fleet(root: Path, env: str, base: Path | None = None) -> tuple[Picture, dict[str, dict[str, int]]]:
    repo = _repo(root)
    inventories, _ = load_hubs(root, repo)
    base_repo = _repo(base) if base is not None else None
    base_inventories = load_hubs(base, base_repo)[0] if base is not None and base_repo is not None else None
    plans = build_fleet_plan(repo, env, inventories, base_repo=base_repo, base_inventories=base_inventories,
                             base_label="main" if base else None)
    pictures = {h.name: build_picture(repo.for_hub(h), plans[h.name], []) for h in repo.repository.hubs}
    return fleet_picture(pictures, fleet_headline(plans, [])), fleet_totals(plans)


def test_plan_draws_the_whole_fleet_each_site_under_its_hub(tmp_path: Path) -> None:
    picture, totals = _fleet(TWO_HUBS, "production")
    assert [s.name for s in picture.sites] == ["east/bologna", "east/modena", "west/porto"]
    assert picture.inventory == 5 and picture.headline == "2 workloads over 5 clusters in 2 hubs"
    for row in picture.workloads:  # each hub's cells add up to what that hub decided
        per_hub: dict[str, int] = {}
        for site, cell in row.cells.items():
            per_hub[site.split("/")[0]] = per_hub.get(site.split("/")[0], 0) + cell.now
        assert {h: n for h, n in per_hub.items() if n} == totals[f"{row.namespace}/{row.name}"]
        assert row.clusters == sum(per_hub.values())
    svg = tmp_path / "fleet.svg"
    result = CliRunner().invoke(cli, ["plan", "-C", str(TWO_HUBS), "--env", "production", "--format", "html",
                                      "--report", f"svg={svg}"])
    assert result.exit_code == 0, result.output
    assert result.output == render_html(picture).decode()  # the command draws this picture
    texts = [t.text for t in ElementTree.fromstring(svg.read_bytes()).iter("{http://www.w3.org/2000/svg}text")]
    assert {"east/bologna", "east/modena", "west/porto"} <= set(texts)


def test_a_change_on_one_hub_is_a_change_of_the_fleet(tmp_path: Path) -> None:
    base = two_hubs(tmp_path / "base")
    head = two_hubs(tmp_path / "head")
    policy = head / "policies" / "edge.yaml"
    policy.write_text(policy.read_text().replace('selector: "role=line"', 'selector: "role=line, site!=porto"'))
    picture, _ = _fleet(head, "dev", base)
    rows = {r.name: r for r in picture.workloads}
    anomaly = rows["anomaly"]
    # west lost its only dev line, east is unchanged: the fleet's row is changed
    assert anomaly.status == "changed" and anomaly.placement_changed
    assert (anomaly.clusters, anomaly.gained, anomaly.lost) == (1, 0, 1)
    assert anomaly.lost_names == (("west/porto", ("porto-lab",)),)
    assert rows["dashboard"].status == "unchanged"
    assert picture.workloads[0].name == "anomaly"  # changed rows lead


def _pic(resources: tuple[str, ...], cluster: str, free: tuple[Free | None, ...]) -> Picture:
    row = ClusterRow(cluster, 0, 0, 0, free)
    site = SiteRow("s", 1, 0, 0, 0, 0, 0, (), free, (row,))
    return Picture("dev", "site", "h", None, 1, resources, 85, (site,), (), (), 0)


def test_each_hub_s_headroom_lines_up_with_the_fleet_s_resources() -> None:
    cpu, mem, gpu = Free(1, 2), Free(3, 4), Free(0, 1)
    joined = fleet_picture({"a": _pic(("cpu", "memory"), "a1", (cpu, mem)),
                            "b": _pic(("cpu", "nvidia.com/gpu"), "b1", (cpu, gpu))}, "fleet")
    assert joined.resources == ("cpu", "memory", "nvidia.com/gpu")
    assert [(s.name, s.cluster_rows[0].free, s.tightest) for s in joined.sites] == [
        ("a/s", (cpu, mem, None), (cpu, mem, None)), ("b/s", (cpu, None, gpu), (cpu, None, gpu))]
    assert joined.inventory == 2 and joined.headline == "fleet"
    render_html(joined)  # draws
