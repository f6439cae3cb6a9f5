"""Flow learns where garages let visitors out through the covariate seam (extensions.GARAGE_ZONES),
not from a source that happens to be called `parking`: renaming the source changes nothing."""

from __future__ import annotations

from pathlib import Path

import yaml

from csm.flow.network import garage_entries, network_from_site
from csm.site.loader import load_site


def test_garage_entries_do_not_depend_on_the_source_name(demo_site_copy: Path) -> None:
    before = garage_entries(load_site(demo_site_copy))
    assert before  # the demo site has three garages
    config = yaml.safe_load((demo_site_copy / "site.yaml").read_text(encoding="utf-8"))
    config["sources"]["garages"] = config["sources"].pop("parking")
    (demo_site_copy / "site.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    site = load_site(demo_site_copy)
    assert garage_entries(site) == before
    assert set(network_from_site(site).sources["garage"]) == set(before.values())
