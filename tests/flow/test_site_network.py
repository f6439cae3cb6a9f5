"""The Scheveningen flow network derived from its zones, network lines and flow.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from csm.flow.model import next_hops
from csm.flow.network import network_from_site
from csm.flow.overrides import FLOW_FILE
from csm.site.loader import SiteConfigError, load_site, validate_site_dir

SITE_DIR = Path(__file__).resolve().parents[2] / "sites" / "scheveningen"


def test_every_zone_is_reachable_and_entries_are_found() -> None:
    network = network_from_site(load_site(SITE_DIR))
    hops = next_hops(network)
    off_diagonal = ~np.eye(len(network.zone_ids), dtype=bool)
    assert (hops[off_diagonal] >= 0).all(), "some zone cannot be reached from another"
    assert set(network.sources["tram"]) == {"tramhalte-kurhaus", "tramhalte-haven"}
    assert "gevers-deynootplein" in network.sources["garage"]
    # flow.yaml: the Pier deck is not walkable from the beach, the square's passages are wide
    assert network.link_between("pier", "strand-noord") is None
    link = network.link_between("gevers-deynootplein", "boulevard-kurhaus")
    assert link is not None and link.width_m == 25


def test_flow_file_problems_are_reported_with_file_and_path(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "site"
    shutil.copytree(SITE_DIR, folder)
    (folder / FLOW_FILE).write_text("links:\n  - {between: [pier, haven], width_m: -1}\n")
    site, problems = validate_site_dir(folder)
    assert site is None
    text = [str(p) for p in problems]
    assert any(t.startswith("flow.yaml: links[0].width_m: ") for t in text), text
    (folder / FLOW_FILE).write_text("not_connected:\n  - [pier, atlantis]\n")
    with pytest.raises(SiteConfigError, match=r"flow.yaml: not_connected\[0\]: unknown zone 'atlantis'"):
        load_site(folder)
