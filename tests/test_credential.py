"""Building unsigned OB 3.0 OpenBadgeCredentials, recipient identity hashes, rubric results and the shape check."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from badge_factory import ISSUED, RECIPIENT, SALT, SITE_URL, STANDARDS, STATUS_LIST_URL, achievement
from credfolio.contexts import CREDENTIALS_V2, OB_V3P0
from credfolio.credential import (
    IssuerProfile,
    email_matches,
    format_datetime,
    identity_object,
    new_salt,
    normalize_email,
    parse_datetime,
    rubric_results,
    shape_problems,
    with_recipient_and_status,
)
from credfolio.errors import CredentialError
from credfolio.proof import canonicalize
from credfolio.status import status_entry


def _schema_validator():
    schema_path = STANDARDS / "schemas" / "ob_v3p0_achievementcredential_schema.json"
    if not schema_path.is_file():
        pytest.skip(f"1EdTech OB 3.0 JSON Schema not found at {schema_path} (../shared/standards): cannot validate against it")
    from jsonschema import Draft201909Validator

    return Draft201909Validator(json.loads(schema_path.read_text(encoding="utf-8")))


VARIANTS = {
    "minimal (no end date, evidence or status)": dict(valid_until=None, evidence=(), status=None),
    "sample badge with evidence and status": {},
    "rubric results and recipient name": dict(
        results=rubric_results(achievement(), {"pausing": "exemplary", "reflection": "proficient"}), recipient_name="Jane Doe"
    ),
    "evidence narrative, description and data URI": dict(
        evidence=[
            {"name": "Reflection", "narrative": "I paused **five seconds**.", "description": "Written reflection"},
            {"name": "Photo", "id": "data:image/png;base64,iVBORw0KGgo="},
            {"name": "Portfolio entry", "id": "urn:uuid:0b7f3c8e-1d1a-4c1e-9d0e-3b0f0c8f6a11"},
        ]
    ),
    "suspension status, issuer logo, explicit name and award date": dict(
        status=status_entry(STATUS_LIST_URL, 7, "suspension"),
        issuer=IssuerProfile("did:web:testville.github.io:mc", "Testville", SITE_URL, image_url=SITE_URL + "logo.png"),
        name="Wait Time (renewed)",
        awarded=ISSUED - timedelta(days=400),
    ),
    "urn:uuid credential id": dict(credential_id="urn:uuid:8f0a7d36-0f0a-4bfe-9a3a-2ab1d1c4c0aa"),
}


@pytest.mark.parametrize("overrides", list(VARIANTS.values()), ids=list(VARIANTS))
def test_every_built_credential_passes_our_shape_check_the_1edtech_schema_and_canonicalization(make_credential, overrides):
    credential = make_credential(**overrides)
    assert shape_problems(credential) == []
    errors = sorted(_schema_validator().iter_errors(credential), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []
    assert canonicalize(credential)  # no undefined terms, no control characters, only bundled contexts


def test_the_credential_has_the_project_template_shape(make_credential):
    credential = make_credential(recipient_name="Jane Doe")
    assert credential["@context"] == [CREDENTIALS_V2, OB_V3P0]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {
        "id": "did:web:testville.github.io:mc",
        "type": ["Profile"],
        "name": "Testville School District",
        "url": SITE_URL,
        "email": "pd@testville.k12.example",
    }
    assert credential["name"] == "Wait Time"
    assert credential["validFrom"] == "2025-06-01T00:00:00Z"
    assert credential["validUntil"] == "2028-05-31T00:00:00Z"
    assert credential["awardedDate"] == "2025-06-01T00:00:00Z"
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["name"] == "Jane Doe"
    assert subject["identifier"] == [identity_object(RECIPIENT, salt=SALT)]
    assert subject["achievement"] == achievement()
    assert credential["evidence"] == [{"type": ["Evidence"], "id": f"{SITE_URL}wallet/jane-doe/evidence/video.html", "name": "Classroom video"}]
    assert credential["credentialStatus"] == status_entry(STATUS_LIST_URL, 94567)
    assert "proof" not in credential


def test_the_builder_does_not_share_or_change_the_callers_achievement(make_credential):
    original = achievement()
    kept = copy.deepcopy(original)
    credential = make_credential(achievement=original)
    credential["credentialSubject"]["achievement"]["name"] = "changed"
    assert original == kept


def test_recipient_name_is_a_defined_term_on_the_subject(make_credential):
    # `name` is defined for every node by the OB 3.0.3 context (schema.org/name), so it is signed.
    nquads = canonicalize(make_credential(recipient_name="Jane Doe"))
    assert '<https://schema.org/name> "Jane Doe"' in nquads


def test_dates_are_utc_without_fractional_seconds(make_credential):
    eastern = timezone(timedelta(hours=-5))
    credential = make_credential(valid_from=datetime(2025, 6, 1, 9, 30, 15, 999_999, tzinfo=eastern), valid_until=None)
    assert credential["validFrom"] == "2025-06-01T14:30:15Z"
    assert credential["awardedDate"] == "2025-06-01T14:30:15Z"


def test_a_single_status_entry_in_a_list_is_emitted_as_one_object(make_credential):
    credential = make_credential(status=[status_entry(STATUS_LIST_URL, 3)])
    assert credential["credentialStatus"] == status_entry(STATUS_LIST_URL, 3)


# --- identity ---------------------------------------------------------------------------------


def test_identity_hash_matches_the_spec_example():
    # ob_v3p0 IdentityHash example: SHA-256 of "a@example.com" followed by the salt "Kosher".
    identity = identity_object("a@example.com", salt="Kosher")
    assert identity == {
        "type": "IdentityObject",
        "identityHash": "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "Kosher",
    }


def test_email_is_normalized_by_stripping_and_lowercasing_before_hashing():
    assert normalize_email("  Jane.Doe@District.ORG \n") == "jane.doe@district.org"
    assert identity_object(" A@Example.com ", salt="Kosher") == identity_object("a@example.com", salt="Kosher")


@pytest.mark.parametrize(
    "email, expected",
    [
        ("a@example.com", True),
        ("A@EXAMPLE.COM", True),
        ("  a@example.com  ", True),
        ("b@example.com", False),
        ("a@example.co", False),
        ("", False),
    ],
    ids=["same", "other case", "surrounding spaces", "other person", "other domain", "empty"],
)
def test_email_matches_a_hashed_identity(email, expected):
    assert email_matches(identity_object("a@example.com", salt="Kosher"), email) is expected


def test_email_matches_hashes_from_issuers_that_did_not_lowercase_and_md5_and_plain_identities():
    import hashlib

    unlowered = {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "salt": "s",
                 "identityHash": "sha256$" + hashlib.sha256(b"Jane@X.org" + b"s").hexdigest().upper()}
    assert email_matches(unlowered, "Jane@X.org")
    md5 = {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
           "identityHash": "md5$" + hashlib.md5(b"jane@x.org").hexdigest()}  # noqa: S324 - the spec allows md5
    assert email_matches(md5, "jane@x.org")
    plain = {"type": "IdentityObject", "identityType": "emailAddress", "hashed": False, "identityHash": "Jane@X.org"}
    assert email_matches(plain, "jane@x.org")
    assert not email_matches({**plain, "identityType": "name"}, "jane@x.org")
    assert not email_matches({**md5, "identityHash": "sha1$00"}, "jane@x.org")


def test_new_salts_are_random_and_url_safe():
    salts = {new_salt() for _ in range(50)}
    assert len(salts) == 50
    assert all(len(salt) >= 20 and salt.replace("-", "").replace("_", "").isalnum() for salt in salts)


# --- rubric results ----------------------------------------------------------------------------


def test_rubric_results_link_each_row_to_the_achieved_level_in_row_order():
    results = rubric_results(achievement(), {"reflection": "proficient", "pausing": "exemplary"})
    base = f"{SITE_URL}catalog/wait-time/#rubric/"
    assert results == [
        {"type": ["Result"], "resultDescription": base + "pausing", "achievedLevel": base + "pausing/exemplary"},
        {"type": ["Result"], "resultDescription": base + "reflection", "achievedLevel": base + "reflection/proficient"},
    ]


def test_rubric_results_accept_full_ids():
    base = f"{SITE_URL}catalog/wait-time/#rubric/"
    assert rubric_results(achievement(), {base + "pausing": base + "pausing/developing"})[0]["achievedLevel"] == base + "pausing/developing"


@pytest.mark.parametrize(
    "scores, message",
    [
        ({"questioning": "proficient"}, "unknown rubric row: 'questioning'"),
        ({"pausing": "superb"}, "unknown level of rubric row 'pausing': 'superb'"),
    ],
    ids=["unknown row", "unknown level"],
)
def test_rubric_results_reject_unknown_rows_and_levels(scores, message):
    with pytest.raises(CredentialError, match=message):
        rubric_results(achievement(), scores)


def test_rubric_results_need_rubric_rows():
    with pytest.raises(CredentialError, match="no rubric rows"):
        rubric_results({**achievement(), "resultDescription": []}, {"pausing": "proficient"})


# --- invalid input -------------------------------------------------------------------------------

INVALID_INPUTS = {
    "credential id over http": (dict(credential_id="http://testville.github.io/mc/b.json"), "credential id must start with https:"),
    "credential id with a space": (dict(credential_id="https://x.org/a b.json"), "credential id must be a URL without spaces"),
    "issuer that is not a DID": (dict(issuer=IssuerProfile("https://testville.github.io/mc/", "T", SITE_URL)), "issuer.did must start with did:"),
    "issuer url over http": (dict(issuer=IssuerProfile("did:web:x.org", "T", "http://x.org/")), "issuer.url must start with https:"),
    "empty issuer name": (dict(issuer=IssuerProfile("did:web:x.org", " ", SITE_URL)), "issuer.name must be a non-empty string"),
    "achievement without criteria": (dict(achievement={k: v for k, v in achievement().items() if k != "criteria"}), "achievement.criteria"),
    "achievement without Achievement type": (dict(achievement={**achievement(), "type": "Achievement"}), 'achievement.type must be an array containing "Achievement"'),
    "achievement without description": (dict(achievement={**achievement(), "description": ""}), "achievement.description"),
    "achievement image as a bare URL": (dict(achievement={**achievement(), "image": SITE_URL + "b.png"}), "achievement.image"),
    "recipient that is not an e-mail": (dict(recipient_email="jane doe"), "is not an e-mail address"),
    "empty salt": (dict(salt=""), "salt must be a non-empty string"),
    "naive validFrom": (dict(valid_from=datetime(2025, 6, 1)), "timezone-aware"),
    "validUntil before validFrom": (dict(valid_until=ISSUED - timedelta(days=1)), "must be later than validFrom"),
    "evidence URL over http": (dict(evidence=[{"name": "v", "id": "http://x.org/v.mp4"}]), r"evidence\[0\].id must start with https:"),
    "evidence URL with javascript:": (dict(evidence=[{"name": "v", "id": "javascript:alert(1)"}]), r"evidence\[0\].id must start with https:"),
    "evidence without a name": (dict(evidence=[{"narrative": "n"}]), r"evidence\[0\].name must be a non-empty string"),
    "evidence with an unknown field": (dict(evidence=[{"name": "v", "score": 3}]), r"evidence\[0\]: unknown field 'score'"),
    "result without the Result type": (dict(results=[{"achievedLevel": "x"}]), r"credentialSubject.result\[0\].type"),
    "two status entries": (dict(status=[status_entry(STATUS_LIST_URL, 1), status_entry(STATUS_LIST_URL, 2)]), "exactly one status entry"),
    "status list over http": (dict(status={**status_entry(STATUS_LIST_URL, 1), "id": "http://x.org/s#1"}), "credentialStatus.id must start with https:"),
    "control character in the recipient name": (dict(recipient_name="Jane\x07Doe"), "recipient name contains a control character"),
    "control character in the credential name": (dict(name="Wait\x00Time"), "name contains a control character"),
    "control character deep in the achievement": (
        dict(achievement={**achievement(), "criteria": {"narrative": "ok\x1b[31m"}}),
        "credentialSubject.achievement.criteria.narrative contains a control character",
    ),
    "DEL in evidence narrative": (dict(evidence=[{"name": "v", "narrative": "a\x7fb"}]), r"evidence\[0\].narrative contains a control character"),
    "non-JSON value in the achievement": (dict(achievement={**achievement(), "version": datetime(2025, 1, 1)}), "is not a JSON value"),
}


@pytest.mark.parametrize("overrides, message", list(INVALID_INPUTS.values()), ids=list(INVALID_INPUTS))
def test_invalid_input_is_refused_with_the_field_named(make_credential, overrides, message):
    with pytest.raises(CredentialError, match=message):
        make_credential(**overrides)


def test_tabs_and_newlines_are_allowed_in_text(make_credential):
    credential = make_credential(evidence=[{"name": "Reflection", "narrative": "Line one\nLine two\r\n\tindented"}])
    assert credential["evidence"][0]["narrative"].count("\n") == 2


# --- dates -----------------------------------------------------------------------------------------


def test_format_datetime_refuses_naive_datetimes():
    with pytest.raises(CredentialError):
        format_datetime(datetime(2025, 1, 1))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-06-01T00:00:00Z", datetime(2025, 6, 1, tzinfo=UTC)),
        ("2025-01-09T15:20:02.183Z", datetime(2025, 1, 9, 15, 20, 2, 183000, tzinfo=UTC)),
        ("2022-11-10T07:38:00-08:00", datetime(2022, 11, 10, 15, 38, tzinfo=UTC)),
        ("2025-06-01T00:00:00", None),
        ("2025-06-01", None),
        ("2025-13-01T00:00:00Z", None),
        (20250601, None),
    ],
    ids=["UTC", "fractional seconds", "offset", "no zone", "date only", "month 13", "number"],
)
def test_parse_datetime_accepts_only_date_times_with_a_zone(text, expected):
    assert parse_datetime(text) == expected


# --- shape check ------------------------------------------------------------------------------------


def _without(document, *path):
    document = copy.deepcopy(document)
    target = document
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return document


def _with(document, value, *path):
    document = copy.deepcopy(document)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


SHAPE_DEFECTS = {
    "not an object": (lambda c: [c], "the credential must be a JSON object"),
    "@context a string": (lambda c: _with(c, CREDENTIALS_V2, "@context"), "@context: must be an array"),
    "@context reordered": (lambda c: _with(c, [OB_V3P0, CREDENTIALS_V2], "@context"), "@context[0]: must be"),
    "@context without OB": (lambda c: _with(c, [CREDENTIALS_V2], "@context"), "@context: must list at least"),
    "VC 1.1 context": (lambda c: _with(c, ["https://www.w3.org/2018/credentials/v1", OB_V3P0], "@context"), "@context[0]"),
    "no id": (lambda c: _without(c, "id"), "id: is required"),
    "type a string": (lambda c: _with(c, "OpenBadgeCredential", "type"), "type: must be an array"),
    "type without OpenBadgeCredential": (lambda c: _with(c, ["VerifiableCredential"], "type"), "type: must contain 'OpenBadgeCredential' or"),
    "no issuer": (lambda c: _without(c, "issuer"), "issuer: is required"),
    "issuer type a string": (lambda c: _with(c, "Profile", "issuer", "type"), "issuer.type: must be an array"),
    "issuer image a bare URL": (lambda c: _with(c, "https://x.org/l.png", "issuer", "image"), "issuer.image: must be an Image object"),
    "no validFrom": (lambda c: _without(c, "validFrom"), "validFrom: is required"),
    "validFrom without a zone": (lambda c: _with(c, "2025-06-01T00:00:00", "validFrom"), "validFrom: must be a date and time"),
    "subject as a list": (lambda c: _with(c, [c["credentialSubject"]], "credentialSubject"), "credentialSubject: must be one AchievementSubject"),
    "subject without recipient": (lambda c: _without(c, "credentialSubject", "identifier"), "credentialSubject: needs an id or at least one identifier"),
    "identifier an object": (lambda c: _with(c, c["credentialSubject"]["identifier"][0], "credentialSubject", "identifier"), "credentialSubject.identifier: must be an array"),
    "identity hashed as a string": (lambda c: _with(c, "true", "credentialSubject", "identifier", 0, "hashed"), "identifier[0].hashed: must be true or false"),
    "identity type unknown": (lambda c: _with(c, "phone", "credentialSubject", "identifier", 0, "identityType"), "identityType: 'phone' is not a defined value"),
    "identity with extra field": (lambda c: _with(c, "x", "credentialSubject", "identifier", 0, "note"), "unexpected field 'note'"),
    "no achievement": (lambda c: _without(c, "credentialSubject", "achievement"), "credentialSubject.achievement: is required"),
    "achievement without name": (lambda c: _without(c, "credentialSubject", "achievement", "name"), "credentialSubject.achievement.name: is required"),
    "achievementType unknown": (lambda c: _with(c, "Program", "credentialSubject", "achievement", "achievementType"), "achievementType: 'Program' is not a defined value"),
    "rubric level type a string": (
        lambda c: _with(c, "RubricCriterionLevel", "credentialSubject", "achievement", "resultDescription", 0, "rubricCriterionLevel", 0, "type"),
        "rubricCriterionLevel[0].type: must be an array",
    ),
    "alignment without targetUrl": (lambda c: _without(c, "credentialSubject", "achievement", "alignment", 0, "targetUrl"), "alignment[0].targetUrl: is required"),
    "evidence an object": (lambda c: _with(c, c["evidence"][0], "evidence"), "evidence: must be an array"),
    "status index a number": (lambda c: _with(c, 94567, "credentialStatus", "statusListIndex"), "statusListIndex: must be a whole number written as a string"),
    "status id equal to the list URL": (lambda c: _with(c, STATUS_LIST_URL, "credentialStatus", "id"), "credentialStatus.id: must not be the status list URL"),
    "status without list URL": (lambda c: _without(c, "credentialStatus", "statusListCredential"), "statusListCredential: must be the URL"),
    "proof an object": (lambda c: _with(c, {"type": "DataIntegrityProof"}, "proof"), "proof: must be an array"),
}


@pytest.mark.parametrize("mutate, problem", list(SHAPE_DEFECTS.values()), ids=list(SHAPE_DEFECTS))
def test_shape_check_names_each_defect(make_credential, mutate, problem):
    problems = shape_problems(mutate(make_credential()))
    assert any(problem in text for text in problems), problems


# MUSTs from the specification text that the 1EdTech JSON Schema cannot express.
SCHEMA_CANNOT_EXPRESS = {
    "subject without recipient",  # OB 3.0: "Either id or at least one identifier MUST be supplied"
    "status index a number",  # Bitstring Status List: statusListIndex is a string
    "status id equal to the list URL",  # Bitstring Status List: id MUST NOT be the list URL
    "status without list URL",  # Bitstring Status List: statusListCredential is required
    # The schema says `"format": "date-time"`, which jsonschema only enforces when the optional
    # rfc3339-validator package is installed (it is not a credfolio dependency).
    "validFrom without a zone",
}


@pytest.mark.parametrize("name", [name for name in SHAPE_DEFECTS if name != "not an object" and name not in SCHEMA_CANNOT_EXPRESS])
def test_the_1edtech_schema_also_rejects_each_defect(make_credential, name):
    mutate, _ = SHAPE_DEFECTS[name]
    assert list(_schema_validator().iter_errors(mutate(make_credential()))), f"the 1EdTech schema accepts {name!r}"


def test_rubric_results_understand_the_catalog_exporters_ids():
    """exports.achievement_json names rows `<page>#rubric-<row>` and levels `<row id>-<level>`."""
    page = f"{SITE_URL}catalog/wait-time/"

    def row(row_id):
        return {
            "id": f"{page}#rubric-{row_id}",
            "type": ["ResultDescription"],
            "name": row_id,
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": [
                {"id": f"{page}#rubric-{row_id}-{level}", "type": ["RubricCriterionLevel"], "name": level} for level in ("proficient", "not-yet")
            ],
        }

    exported = {**achievement(), "resultDescription": [row("pausing"), row("re-pausing")]}
    assert rubric_results(exported, {"re-pausing": "not-yet", "pausing": "proficient"}) == [
        {"type": ["Result"], "resultDescription": f"{page}#rubric-pausing", "achievedLevel": f"{page}#rubric-pausing-proficient"},
        {"type": ["Result"], "resultDescription": f"{page}#rubric-re-pausing", "achievedLevel": f"{page}#rubric-re-pausing-not-yet"},
    ]


def test_a_badge_for_an_exported_catalog_entry_passes_both_checks(tmp_path, make_credential):
    from district_factory import make_district

    from credfolio.catalog import load_catalog
    from credfolio.config import load_district
    from credfolio.exports import achievement_json

    district = load_district(make_district(tmp_path / "district"))
    definition = load_catalog(district.root, district.settings.catalog_dir).credentials["wait-time"]
    exported = achievement_json(definition, district, standalone=False)
    credential = make_credential(achievement=exported, results=rubric_results(exported, {"pausing": "proficient", "reflection": "exemplary"}))
    assert shape_problems(credential) == []
    assert [e.message for e in _schema_validator().iter_errors(credential)] == []
    assert canonicalize(credential)


# --- swapping salt and status after a placeholder build (bulk issuance) ---------------------------------


def test_swapping_recipient_and_status_equals_building_with_them(make_credential):
    placeholder = make_credential(salt="check", status=status_entry(STATUS_LIST_URL, 0))
    swapped = with_recipient_and_status(placeholder, recipient_email=RECIPIENT, salt=SALT, status=status_entry(STATUS_LIST_URL, 94567))
    built = make_credential()
    assert json.dumps(swapped) == json.dumps(built)  # same keys in the same order: the same signed bytes
    assert placeholder["credentialSubject"]["identifier"] != built["credentialSubject"]["identifier"]  # the copy is new


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ({"type": "BitstringStatusListEntry", "id": "http://x.example/1#2"}, "credentialStatus.id"),
        ([status_entry(STATUS_LIST_URL, 1), status_entry(STATUS_LIST_URL, 2)], "exactly one status entry"),
    ],
    ids=["non-https status entry", "two status entries"],
)
def test_swapping_in_a_bad_status_entry_is_refused(make_credential, status, message):
    with pytest.raises(CredentialError, match=message):
        with_recipient_and_status(make_credential(), recipient_email=RECIPIENT, salt=SALT, status=status)


def test_swapping_needs_a_built_credential():
    with pytest.raises(CredentialError, match="not a credential from build_credential"):
        with_recipient_and_status({"credentialSubject": {}}, recipient_email=RECIPIENT, salt=SALT, status=status_entry(STATUS_LIST_URL, 1))
