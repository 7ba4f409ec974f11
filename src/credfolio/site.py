"""Build the district site from the catalog (and, later, the wallet) inside MkDocs' build.

The hooks in ``hooks/credfolio.py`` call these functions. Catalog pages go through MkDocs (so search
finds them); generated wallet and badge pages render with Jinja in :func:`on_post_build`.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError

from credfolio.catalog import Catalog, load_catalog
from credfolio.config import DistrictConfig, load_district
from credfolio.errors import CredfolioError

_STATE_KEY = "credfolio"


def on_config(config):
    """Load and validate the district and its catalog once per build; fail the build on any problem."""
    root = Path(config["config_file_path"]).parent
    try:
        district = load_district(root)
        catalog = load_catalog(root, district.settings.catalog_dir)
    except CredfolioError as error:
        problems = getattr(error, "problems", [error])
        raise PluginError("credfolio: " + "; ".join(str(p) for p in problems)) from None
    config["extra"][_STATE_KEY + "_state"] = _BuildState(district, catalog)
    return config


def on_files(files, config):
    """Add generated catalog pages (implemented by the catalog site)."""
    return files


def on_post_build(config):
    """Write generated pages and machine-readable exports into the built site."""
    return None


class _BuildState:
    """The loaded district and catalog, shared between hook events of one build."""

    def __init__(self, district: DistrictConfig, catalog: Catalog) -> None:
        self.district = district
        self.catalog = catalog
