"""LinkedIn "Add license or certification" links for badge pages.

LinkedIn documents no public API for this; the widely used add-to-profile URL (the one LinkedIn's own
generator at addtoprofile.linkedin.com produces) is

``https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=…&organizationId=…``
``&issueYear=YYYY&issueMonth=M&expirationYear=YYYY&expirationMonth=M&certUrl=…&certId=…``

with ``organizationName`` instead of ``organizationId`` when the district has no LinkedIn page id
(the id is better: the certification then shows the district's logo). Months are 1–12; empty
parameters are left out. LinkedIn's prefill is best effort, so badge pages also show every field as
copyable text (:func:`linkedin_fields`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True)
class Certification:
    """What LinkedIn's certification form asks for."""

    name: str
    organization_name: str
    organization_id: str | None
    issued: datetime
    expires: datetime | None
    url: str
    credential_id: str


def add_to_profile_url(certification: Certification) -> str:
    """The add-to-profile URL for ``certification`` (query string encoded with ``urlencode``, UTF-8)."""
    params: list[tuple[str, str]] = [("startTask", "CERTIFICATION_NAME"), ("name", certification.name)]
    if certification.organization_id:
        params.append(("organizationId", certification.organization_id))
    else:
        params.append(("organizationName", certification.organization_name))
    params += [("issueYear", str(certification.issued.year)), ("issueMonth", str(certification.issued.month))]
    if certification.expires is not None:
        params += [("expirationYear", str(certification.expires.year)), ("expirationMonth", str(certification.expires.month))]
    params += [("certUrl", certification.url), ("certId", certification.credential_id)]
    return ADD_TO_PROFILE + "?" + urlencode([(key, value) for key, value in params if value], encoding="utf-8")


def linkedin_fields(certification: Certification) -> list[tuple[str, str]]:
    """``(label, value)`` of each field of LinkedIn's form, for copying by hand."""
    fields = [
        ("Name", certification.name),
        ("Issuing organization", certification.organization_name),
        ("Issue date", certification.issued.strftime("%B %Y")),
        ("Expiration date", certification.expires.strftime("%B %Y") if certification.expires else "This credential does not expire"),
        ("Credential ID", certification.credential_id),
        ("Credential URL", certification.url),
    ]
    return fields
