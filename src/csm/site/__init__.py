"""Site configuration: a folder with site.yaml and zones.geojson, validated at the edge."""

from csm.site.loader import SiteConfigError, SiteProblem, load_site, validate_site_dir
from csm.site.model import Site

__all__ = ["Site", "SiteConfigError", "SiteProblem", "load_site", "validate_site_dir"]
