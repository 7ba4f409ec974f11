"""Shared fixtures: a fixed Ed25519 key, a fixed clock, a badge factory and a local district site.

Builders live in ``badge_factory.py`` (importable from test modules); this file only exposes them
as fixtures.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from badge_factory import NOW, Site, district_key, make_credential as _make_credential
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@pytest.fixture
def now() -> datetime:
    """The verifier's clock: 2025-09-01 12:00 UTC, three months after the sample badges were issued."""
    return NOW


@pytest.fixture
def issuer_private_key() -> Ed25519PrivateKey:
    """The district's signing key, from a fixed seed."""
    return district_key()


@pytest.fixture
def make_credential():
    """Factory for unsigned sample badges: ``make_credential(valid_until=None, recipient_name="Jane")``."""
    return _make_credential


@pytest.fixture
def site(tmp_path) -> Site:
    """The district's published site in a temporary folder: did.json (key-1) and an empty status list."""
    return Site(tmp_path / "site")


@pytest.fixture
def signed_credential(site, make_credential) -> dict:
    """A sample badge signed by the district key, pointing at entry 94567 of ``status/1.json``."""
    return site.sign(make_credential())
