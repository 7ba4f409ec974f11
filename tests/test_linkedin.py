"""LinkedIn add-to-profile links: parameters, encoding, organisation id vs name, optional expiry."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from credfolio.linkedin import ADD_TO_PROFILE, Certification, add_to_profile_url, linkedin_fields

URL = "https://riverbend-usd.github.io/micro-credentials/badges/0875c54f-559d-5f90-9221-d011bf79bf56/"


def certification(**overrides) -> Certification:
    values = dict(
        name="Enseñanza & Diálogo: Nguyễn's \"talk\" moves",
        organization_name="Riverbend Unified School District",
        organization_id=None,
        issued=datetime(2025, 11, 21, tzinfo=UTC),
        expires=datetime(2028, 2, 1, tzinfo=UTC),
        url=URL,
        credential_id="0875c54f-559d-5f90-9221-d011bf79bf56",
    )
    values.update(overrides)
    return Certification(**values)


def query(url: str) -> list[tuple[str, str]]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == ADD_TO_PROFILE
    return parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)


def test_parameters_in_order_with_organization_name():
    assert query(add_to_profile_url(certification())) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", "Enseñanza & Diálogo: Nguyễn's \"talk\" moves"),
        ("organizationName", "Riverbend Unified School District"),
        ("issueYear", "2025"),
        ("issueMonth", "11"),
        ("expirationYear", "2028"),
        ("expirationMonth", "2"),
        ("certUrl", URL),
        ("certId", "0875c54f-559d-5f90-9221-d011bf79bf56"),
    ]


def test_non_ascii_and_ampersands_are_percent_encoded():
    url = add_to_profile_url(certification())
    raw = urlsplit(url).query
    assert "&" not in raw.split("name=", 1)[1].split("&organizationName", 1)[0]
    assert "name=Ense%C3%B1anza+%26+Di%C3%A1logo%3A+Nguy%E1%BB%85n%27s+%22talk%22+moves" in raw
    assert "certUrl=https%3A%2F%2Friverbend-usd.github.io%2Fmicro-credentials%2Fbadges%2F" in raw
    assert url.isascii()


def test_organization_id_replaces_the_name():
    params = dict(query(add_to_profile_url(certification(organization_id="1234567"))))
    assert params["organizationId"] == "1234567"
    assert "organizationName" not in params


def test_no_expiry_leaves_the_expiration_fields_out():
    params = dict(query(add_to_profile_url(certification(expires=None))))
    assert "expirationYear" not in params and "expirationMonth" not in params


def test_copyable_fields():
    fields = dict(linkedin_fields(certification()))
    assert fields["Issue date"] == "November 2025"
    assert fields["Expiration date"] == "February 2028"
    assert fields["Credential URL"] == URL
    assert dict(linkedin_fields(certification(expires=None)))["Expiration date"] == "This credential does not expire"
