"""A temporary district set up for issuing: catalog, opted-in teachers, a private folder and a key store.

Everything lives under pytest's ``tmp_path``: the district repository, its private folder (outside the
repository, as the config requires), a key store and a folder that plays the published site, laid out
as the site build publishes the wallet (``did.json`` at the did:web path, ``status/…``, ``badges/…``),
so badges verify locally with :class:`credfolio.resolve.SiteResolver`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from district_factory import MKDOCS_YML, STACKS_YML, credential_yaml, make_district

from credfolio.catalog import Catalog, load_catalog
from credfolio.config import DistrictConfig, load_district
from credfolio.keys import KeyStore
from credfolio.resolve import SiteResolver
from credfolio.verify import VerificationResult, verify_credential
from credfolio.wallet import TeacherProfile, WalletConsent, site_files, write_teacher

#: The issuing clock: 1 March 2026, noon UTC.
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY_CREATED = datetime(2025, 1, 1, tzinfo=UTC)

OPTED_IN = TeacherProfile("siobhan-oconnor", "Siobhán O'Connor", school="Lincoln Elementary", role="Grade 4 teacher",
                          consent=WalletConsent(show_school=True))
OPTED_OUT = TeacherProfile("jose-ramirez", "José Ramírez", consent=WalletConsent(wallet_page=False))


@dataclass
class IssuingDistrict:
    """Paths, config, catalog and key store of a temporary issuing district."""

    root: Path
    private: Path
    keys_dir: Path
    site: Path
    config: DistrictConfig = field(init=False)
    catalog: Catalog = field(init=False)
    keys: KeyStore = field(init=False)

    def __post_init__(self) -> None:
        self.reload()
        self.keys = KeyStore(self.keys_dir)

    def reload(self) -> None:
        """Re-read mkdocs.yml and the catalog (after editing them)."""
        self.config = load_district(self.root)
        self.catalog = load_catalog(self.root)

    def publish(self) -> SiteResolver:
        """Copy the wallet into the site folder the way the site build does; a resolver over it."""
        if self.site.exists():
            shutil.rmtree(self.site)
        for source, relative in site_files(self.config):
            target = self.site / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        return SiteResolver(self.site, self.config.site_url)

    def verify(self, badge: Path | dict[str, Any], *, now: datetime = NOW, resolver: SiteResolver | None = None) -> VerificationResult:
        """Verify a badge file (or document) against the published site."""
        document = json.loads(Path(badge).read_text(encoding="utf-8")) if not isinstance(badge, dict) else badge
        return verify_credential(document, now=now, resolver=resolver or self.publish())

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every ledger event (of one kind)."""
        path = self.config.wallet_path / "ledger.jsonl"
        if not path.exists():
            return []
        events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [event for event in events if kind is None or event["event"] == kind]

    def cli_options(self) -> list[str]:
        """``--district`` and ``--keys-dir`` for CLI calls."""
        return ["--district", str(self.root), "--keys-dir", str(self.keys_dir)]


def make_issuing_district(tmp_path: Path, *, stack_badges: str = "auto", generate_key: bool = True,
                          passphrase: str | None = None) -> IssuingDistrict:
    """A district with credentials ``wait-time`` (no expiry), ``wait-time-two`` (expires after P3Y) and the
    retired ``old-wait-time``; the stack ``questioning`` (both active ones, earns a badge); one opted-in teacher
    (``siobhan-oconnor``) and one teacher file with ``wallet_page: false`` (``jose-ramirez``)."""
    private = tmp_path / "private"
    mkdocs = MKDOCS_YML + f"    private_dir: {private}\n    stack_badges: {stack_badges}\n"
    credentials = {
        "wait-time": credential_yaml("wait-time"),
        "wait-time-two": credential_yaml("wait-time-two") + 'expires_after: "P3Y"\n',
        "old-wait-time": credential_yaml("old-wait-time", status="retired"),
    }
    root = make_district(tmp_path / "district", credentials=credentials, stacks=STACKS_YML, mkdocs_yml=mkdocs)
    district = IssuingDistrict(root=root, private=private, keys_dir=tmp_path / "keys", site=tmp_path / "site")
    write_teacher(district.config, OPTED_IN)
    write_teacher(district.config, OPTED_OUT)
    if generate_key:
        district.keys.generate(district.config.issuer_did, now=KEY_CREATED, passphrase=passphrase)
    return district


def csv_text(rows: list[dict[str, str]], *, columns: tuple[str, ...] = ("credential", "name", "email"), delimiter: str = ",",
             newline: str = "\n", bom: bool = False) -> str:
    """A bulk-issue CSV with ``columns`` (cells quoted when they need it)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return ("\ufeff" if bom else "") + buffer.getvalue()


FIRST_NAMES = ["Siobhán", "José", "Nguyễn Thị", "Zoë", "Łukasz", "Chloé", "Aoife", "Dmitri", "Ngozi", "Søren", "Maël", "Hana"]
LAST_NAMES = ["O'Connor", "Ramírez", "Lan", "D'Angelo", "Müller", "Nakamura", "Okonkwo", "Ó Briain", "Kowalczyk", "Åberg"]


def teacher_rows(count: int, *, credential: str = "wait-time", domain: str = "testville.example") -> list[dict[str, str]]:
    """``count`` distinct teachers with non-ASCII names and apostrophes."""
    rows = []
    for number in range(count):
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]
        rows.append({"credential": credential, "name": f"{first} {last}", "email": f"teacher{number:04d}@{domain}"})
    return rows
