"""A copy of the sample district with many teachers and signed badges, for renderer and build-cache tests.

:func:`make_large_district` copies the sample district's catalog, docs, hooks and overrides (so it
builds like the sample site), writes ``teachers`` opted-in teacher files and issues ``badges``
badges with the real issuing code and a throwaway key (the key store and the private folder live
under the given folder, outside the district). A few badges are revoked, suspended and expired so
that every page state is rendered. ``credfolio synth`` does the same at benchmark scale.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from district_factory import REPO_ROOT

from credfolio import issuance
from credfolio.catalog import Catalog, load_catalog
from credfolio.config import DistrictConfig, load_district
from credfolio.keys import KeyStore
from credfolio.wallet import TeacherProfile, WalletConsent, write_teacher

#: The clock of the fixture: every award, revocation and suspension happens before it.
NOW = datetime(2026, 11, 1, tzinfo=UTC)
KEY_CREATED = datetime(2024, 8, 1, tzinfo=UTC)
FIRST = ["Siobhán", "José", "Nguyễn Thị", "Zoë", "Łukasz", "Chloé", "Aoife", "Dmitri", "Ngozi", "Søren", "Maël", "Hana"]
LAST = ["O'Connor", "Ramírez", "Lan", "D'Angelo & Co", "Müller", "Nakamura", "Okonkwo", "Ó Briain", "Kowalczyk", "Åberg"]


@dataclass
class LargeDistrict:
    """Where the district, its private folder and its key store are, and its loaded config and catalog."""

    root: Path
    private: Path
    keys_dir: Path
    config: DistrictConfig
    catalog: Catalog

    def reload(self) -> None:
        """Re-read mkdocs.yml and the catalog."""
        self.config = load_district(self.root)
        self.catalog = load_catalog(self.root, self.config.settings.catalog_dir)


def make_large_district(folder: Path, *, teachers: int, badges: int, seed: int = 7) -> LargeDistrict:
    """A sample-district copy under ``folder/district`` with ``teachers`` teachers and about ``badges`` badges."""
    root = folder / "district"
    for name in ("catalog", "docs", "hooks", "overrides"):
        if (REPO_ROOT / name).exists():
            shutil.copytree(REPO_ROOT / name, root / name)
    private = folder / "private"
    mkdocs = (REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    mkdocs = mkdocs.replace("  credfolio:\n", f"  credfolio:\n    private_dir: {private}\n", 1)
    (root / "mkdocs.yml").write_text(mkdocs, encoding="utf-8")
    config = load_district(root)
    catalog = load_catalog(root, config.settings.catalog_dir)
    keys = KeyStore(folder / "keys")
    keys.generate(config.issuer_did, now=KEY_CREATED)
    rng = random.Random(seed)
    profiles = []
    for number in range(teachers):
        name = f"{FIRST[number % len(FIRST)]} {LAST[(number // len(FIRST)) % len(LAST)]} {number}"
        consent = WalletConsent(show_school=number % 2 == 0, show_role=number % 3 == 0, search_engines=number % 5 == 0,
                                show_evidence=number % 4 == 0)
        profile = TeacherProfile(f"teacher-{number:05d}", name, school="Lincoln Elementary", role="Teacher", consent=consent)
        write_teacher(config, profile)
        profiles.append(profile)
    offered = sorted(cid for cid, definition in catalog.credentials.items() if definition.is_offered)
    requests = []
    for number in range(badges):
        teacher = profiles[number % teachers]
        credential = offered[rng.randrange(len(offered))]
        definition = catalog.credentials[credential]
        levels = [level.id for level in definition.rubric.levels]
        scores = {row.id: levels[0] for row in definition.rubric.rows}
        awarded = date(2025, 1, 1) + timedelta(days=rng.randrange(500))
        valid_until = datetime(2026, 6, 1, tzinfo=UTC) if number % 29 == 3 else None
        requests.append(issuance.IssueRequest(
            name=teacher.display_name, email=f"t{number % teachers}@district.example", awarded=awarded,
            credential=credential, scores=scores, valid_until=valid_until, teacher=teacher.slug,
            request_id=f"r{number}", evidence=({"id": f"https://example.org/evidence/{number}", "name": "Lesson video"},),
        ))
    report = issuance.issue_requests(config, catalog, keys, requests, now=NOW - timedelta(days=30),
                                     rng=random.Random(seed))
    issued = report.issued
    for index, badge in enumerate(issued[:: max(1, len(issued) // 4)][:3]):
        change = issuance.revoke_badge if index != 1 else issuance.suspend_badge
        change(config, keys, badge.badge_id, reason="Fixture change", now=NOW - timedelta(days=10 - index))
    return LargeDistrict(root, private, folder / "keys", config, catalog)
