"""Exports built from the catalog YAML: OB 3.0 Achievement, catalog.json and CTDL JSON-LD."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from district_factory import STANDARDS, credential_yaml, make_district

from credfolio import exports
from credfolio.catalog import CredentialDefinition, Stack, load_catalog
from credfolio.config import load_district

PAGE = "https://testville.github.io/mc/catalog/wait-time/"
GENERATED = datetime(2025, 5, 4, 3, 2, 1, tzinfo=UTC)

STACKS_WITH_CAPSTONE = """\
format: 1
stacks:
  - id: questioning
    title: "Questioning"
    description: "Ask **better** questions."
    credentials: [wait-time, wait-time-two]
    capstone: questioning-capstone
    earns:
      title: "Questioning Specialist"
      badge: true
      credit: "Counts as 1 salary-lane unit."
"""


@pytest.fixture(scope="module")
def district_and_catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("district")
    make_district(
        root,
        credentials={
            "wait-time": credential_yaml("wait-time"),
            "wait-time-two": credential_yaml("wait-time-two"),
            "questioning-capstone": credential_yaml("questioning-capstone"),
            "old-wait-time": credential_yaml("old-wait-time", status="retired"),
        },
        stacks=STACKS_WITH_CAPSTONE,
    )
    return load_district(root), load_catalog(root)


@pytest.fixture
def district(district_and_catalog):
    return district_and_catalog[0]


@pytest.fixture
def catalog(district_and_catalog):
    return district_and_catalog[1]


@pytest.fixture
def wait_time(catalog) -> CredentialDefinition:
    return catalog.credentials["wait-time"]


# --- OB 3.0 Achievement ---------------------------------------------------------------------------------------


def test_achievement_has_the_documented_shape(wait_time, district):
    achievement = exports.achievement_json(wait_time, district)
    assert achievement["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert achievement["id"] == PAGE
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    assert achievement["name"] == wait_time.title
    assert achievement["description"] == wait_time.competency
    assert achievement["criteria"]["id"] == PAGE
    assert achievement["image"] == {"id": PAGE + "badge.svg", "type": "Image", "caption": "Badge: an hourglass"}
    assert achievement["creator"] == {
        "id": "did:web:testville.github.io:mc",
        "type": ["Profile"],
        "name": "Testville School District",
        "url": "https://testville.github.io/mc/",
    }
    assert achievement["humanCode"] == "wait-time"
    assert achievement["fieldOfStudy"] == "All subjects"
    assert achievement["version"] == "1.0.0"
    assert achievement["inLanguage"] == "en"
    assert achievement["alignment"] == [
        {"type": ["Alignment"], "targetName": "Instructional Strategies", "targetUrl": "https://ccsso.org/",
         "targetCode": "8", "targetFramework": "InTASC Model Core Teaching Standards"}
    ]
    assert "tag" not in achievement  # no tags in the factory credential: no empty array


def test_achievement_result_descriptions_point_at_the_rubric_table(wait_time, district):
    rows = exports.achievement_json(wait_time, district)["resultDescription"]
    assert [row["id"] for row in rows] == [PAGE + "#rubric-pausing", PAGE + "#rubric-reflection"]
    pausing = rows[0]
    assert pausing["type"] == ["ResultDescription"]
    assert pausing["name"] == "Pausing"
    assert pausing["resultType"] == "RubricCriterionLevel"
    assert pausing["requiredLevel"] == PAGE + "#rubric-pausing-proficient"
    assert [level["id"] for level in pausing["rubricCriterionLevel"]] == [
        PAGE + f"#rubric-pausing-{level}" for level in ("exemplary", "proficient", "developing", "not-yet")
    ]
    assert pausing["requiredLevel"] in [level["id"] for level in pausing["rubricCriterionLevel"]]
    exemplary = pausing["rubricCriterionLevel"][0]
    assert exemplary == {
        "id": PAGE + "#rubric-pausing-exemplary",
        "type": ["RubricCriterionLevel"],
        "name": "Exemplary",
        "description": "Pauses consistently and teaches students why.",
        "level": "Exemplary",
        "points": "4",
    }


def test_criteria_narrative_states_the_passing_rule_and_the_artifacts(wait_time, district):
    narrative = exports.achievement_json(wait_time, district)["criteria"]["narrative"]
    assert "**Passing rule:** Proficient or above on every row." in narrative
    assert "1. **Classroom video**: A 10-minute video excerpt." in narrative
    assert "Scored on: Pausing." in narrative
    assert f"<{PAGE}#rubric>" in narrative


@pytest.mark.parametrize(
    ("description", "forbidden"),
    [
        ("<script>alert(1)</script>Video", "<script"),
        ('<img src=x onerror="alert(1)">', "<img"),
        ("[watch](javascript:alert(1))", "](javascript:"),
        ("[watch](JavaScript:alert(1))", "](JavaScript:"),
        ("[watch]( data:text/html,hi)", "]( data:"),
        ("[watch][x]\n\n[x]: javascript:alert(1)", "\n[x]: javascript:"),
    ],
    ids=["script tag", "img onerror", "javascript link", "javascript link in capitals", "data link", "javascript reference link"],
)
def test_criteria_narrative_neutralises_hostile_artifact_markdown(wait_time, district, description, forbidden):
    artifact = wait_time.submission.artifacts[0].model_copy(update={"description": description})
    submission = wait_time.submission.model_copy(update={"artifacts": [artifact]})
    definition = wait_time.model_copy(update={"submission": submission})
    narrative = exports.criteria_narrative(definition, PAGE)
    assert forbidden not in narrative


def test_criteria_narrative_keeps_safe_markdown_links(wait_time, district):
    artifact = wait_time.submission.artifacts[0].model_copy(update={"description": "See [the guide](https://example.org/g)."})
    submission = wait_time.submission.model_copy(update={"artifacts": [artifact]})
    narrative = exports.criteria_narrative(wait_time.model_copy(update={"submission": submission}), PAGE)
    assert "[the guide](https://example.org/g)" in narrative


def test_achievement_validates_against_the_ob_schema(catalog, district):
    schema_path = STANDARDS / "schemas" / "ob_v3p0_achievementcredential_schema.json"
    if not schema_path.exists():
        pytest.skip(f"OB 3.0 JSON schema not found at {schema_path} (../shared/standards is absent)")
    from jsonschema import Draft201909Validator

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = Draft201909Validator({"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/Achievement"})
    for definition in catalog.credentials.values():
        errors = [e.message for e in validator.iter_errors(exports.achievement_json(definition, district))]
        assert not errors, (definition.id, errors)


def test_achievement_uses_only_defined_json_ld_terms(wait_time, district):
    proof = pytest.importorskip("credfolio.proof", reason="credfolio.proof (canonicalize) is not available yet")
    nquads = proof.canonicalize(exports.achievement_json(wait_time, district))
    assert "issuer-dependent" not in nquads
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#humanCode>" in nquads


def test_embedded_achievement_goes_into_a_badge_unchanged(wait_time, district):
    credential_module = pytest.importorskip("credfolio.credential")
    embedded = exports.achievement_json(wait_time, district, standalone=False)
    assert "@context" not in embedded
    assert embedded == {k: v for k, v in exports.achievement_json(wait_time, district).items() if k != "@context"}
    issuer = credential_module.IssuerProfile(did=district.issuer_did, name=district.name, url=district.site_url)
    badge = credential_module.build_credential(
        credential_id="https://testville.github.io/mc/wallet/badges/1.json",
        issuer=issuer,
        achievement=embedded,
        recipient_email="jane@testville.example",
        salt="s",
        valid_from=GENERATED,
        results=credential_module.rubric_results(embedded, {PAGE + "#rubric-pausing": PAGE + "#rubric-pausing-proficient"}),
    )
    assert badge["credentialSubject"]["achievement"] == embedded
    assert credential_module.shape_problems(badge) == []


@pytest.mark.parametrize(
    ("image", "filename"),
    [(None, "badge.svg"), ("images/wait.svg", "badge.svg"), ("images/wait.png", "badge.png"), ("images/WAIT.PNG", "badge.png")],
    ids=["drawn", "svg file", "png file", "upper-case suffix"],
)
def test_badge_filename_keeps_the_image_format(wait_time, image, filename):
    assert exports.badge_filename(wait_time.model_copy(update={"image": image})) == filename


# --- catalog.json ---------------------------------------------------------------------------------------------------


def test_catalog_json_round_trips_every_credential_and_stack(catalog, district):
    data = json.loads(exports.to_json_text(exports.catalog_json(catalog, district, generated=GENERATED)))
    assert data["generated"] == "2025-05-04T03:02:01Z"
    assert data["format"] == 1
    assert [entry["id"] for entry in data["credentials"]] == sorted(catalog.credentials)
    for entry in data["credentials"]:
        fields = {k: v for k, v in entry.items() if k not in exports.DERIVED_CREDENTIAL_KEYS}
        assert CredentialDefinition.model_validate(fields) == catalog.credentials[entry["id"]]
        assert set(exports.DERIVED_CREDENTIAL_KEYS) <= set(entry)
    for entry, stack in zip(data["stacks"], catalog.stacks, strict=True):
        fields = {k: v for k, v in entry.items() if k not in exports.DERIVED_STACK_KEYS}
        assert Stack.model_validate(fields) == stack


def test_catalog_json_derived_values(catalog, district):
    data = exports.catalog_json(catalog, district, generated=GENERATED)
    entries = {entry["id"]: entry for entry in data["credentials"]}
    wait_time = entries["wait-time"]
    assert wait_time["url"] == PAGE
    assert wait_time["achievement_url"] == PAGE + "achievement.json"
    assert wait_time["badge_url"] == PAGE + "badge.svg"
    assert wait_time["submission_template_url"] == PAGE + "submission-template.md"
    assert wait_time["passing_rule"] == "Proficient or above on every row"
    assert wait_time["stacks"] == ["questioning"]
    assert entries["old-wait-time"]["submission_template_url"] is None
    assert entries["questioning-capstone"]["stacks"] == ["questioning"]
    assert data["stacks"][0]["total_hours"] == 30
    assert data["stacks"][0]["url"] == "https://testville.github.io/mc/stacks/questioning/"
    assert data["district"]["issuer"] == "did:web:testville.github.io:mc"


def test_catalog_json_timestamp_is_normalised_to_utc():
    eastern = timezone(timedelta(hours=-5))
    assert exports.format_timestamp(datetime(2025, 1, 1, 7, 30, 15, 999, tzinfo=eastern)) == "2025-01-01T12:30:15Z"


def test_catalog_json_refuses_a_naive_timestamp(catalog, district):
    with pytest.raises(ValueError, match="timezone"):
        exports.catalog_json(catalog, district, generated=datetime(2025, 1, 1))


# --- CTDL -------------------------------------------------------------------------------------------------------------


def _refuse(url, options=None):
    raise AssertionError(f"the CTDL export must expand offline, but tried to load {url}")


def test_ctdl_expands_offline_with_its_inline_context(catalog, district):
    from pyld import jsonld

    document = exports.ctdl_json(catalog, district)
    assert isinstance(document["@context"], dict)
    expanded = jsonld.expand(document, {"documentLoader": _refuse})
    types = [t for node in expanded for t in node["@type"]]
    assert types.count("https://purl.org/ctdl/terms/MicroCredential") == len(catalog.credentials)
    assert types.count("https://purl.org/ctdl/terms/Certificate") == len(catalog.stacks)
    assert types.count("https://purl.org/ctdl/terms/CredentialOrganization") == 1


def test_ctdl_credential_describes_cost_duration_audience_and_alignments(catalog, district):
    from pyld import jsonld

    document = exports.ctdl_json(catalog, district)
    node = next(n for n in document["@graph"] if n["@id"] == PAGE)
    assert node["ceterms:ctid"] == exports.ctid(PAGE)
    assert node["ceterms:name"] == {"en": "Wait Time wait-time"}
    assert node["ceterms:estimatedCost"][0]["ceterms:price"] == 0
    assert node["ceterms:estimatedCost"][0]["ceterms:currency"] == "USD"
    assert node["ceterms:estimatedDuration"][0]["ceterms:timeRequired"] == "PT10H"
    assert node["ceterms:audienceLevelType"][0]["ceterms:targetNode"] == "audLevel:ProfessionalLevel"
    assert node["ceterms:lifeCycleStatusType"]["ceterms:targetNode"] == "lifeCycle:Active"
    assert node["ceterms:isPartOf"] == ["https://testville.github.io/mc/stacks/questioning/"]
    competencies = node["ceterms:requires"][1]["ceterms:targetCompetency"]
    assert competencies[1]["ceterms:codedNotation"] == "8"
    expanded = jsonld.expand({"@context": document["@context"], "@graph": [node]}, {"documentLoader": _refuse})[0]
    life_cycle = expanded["https://purl.org/ctdl/terms/lifeCycleStatusType"][0]
    assert life_cycle["https://purl.org/ctdl/terms/targetNode"] == [{"@id": "https://purl.org/ctdl/vocabs/lifeCycle/Active"}]
    duration = expanded["https://purl.org/ctdl/terms/estimatedDuration"][0]["https://purl.org/ctdl/terms/timeRequired"]
    assert duration == [{"@type": "http://www.w3.org/2001/XMLSchema#duration", "@value": "PT10H"}]


@pytest.mark.parametrize(
    ("status", "concept"),
    [("active", "lifeCycle:Active"), ("draft", "lifeCycle:Developing"), ("retired", "lifeCycle:Ceased")],
    ids=["active", "draft", "retired"],
)
def test_ctdl_life_cycle_follows_the_status(catalog, district, status, concept):
    changed = catalog.credentials["wait-time"].model_copy(update={"status": status})
    catalog_copy = type(catalog)(root=catalog.root, credentials={**catalog.credentials, "wait-time": changed}, stacks=catalog.stacks)
    node = next(n for n in exports.ctdl_json(catalog_copy, district)["@graph"] if n["@id"] == PAGE)
    assert node["ceterms:lifeCycleStatusType"]["ceterms:targetNode"] == concept


def test_ctdl_stack_is_a_certificate_made_of_its_micro_credentials(catalog, district):
    document = exports.ctdl_json(catalog, district)
    stack = next(n for n in document["@graph"] if n["@type"] == "ceterms:Certificate")
    members = [PAGE, "https://testville.github.io/mc/catalog/wait-time-two/", "https://testville.github.io/mc/catalog/questioning-capstone/"]
    assert stack["ceterms:hasPart"] == members
    assert stack["ceterms:requires"][0]["ceterms:targetCredential"] == members
    assert stack["ceterms:name"] == {"en": "Questioning Specialist"}
    assert stack["ceterms:description"] == {"en": "Ask better questions."}
    assert stack["ceterms:estimatedDuration"][0]["ceterms:timeRequired"] == "PT30H"


def test_ctid_is_deterministic_and_well_formed():
    assert exports.ctid(PAGE) == exports.ctid(PAGE)
    assert exports.ctid(PAGE) != exports.ctid(PAGE + "x")
    assert re.fullmatch(r"ce-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", exports.ctid(PAGE))


@pytest.mark.parametrize(
    ("hours", "duration"),
    [(15, "PT15H"), (15.0, "PT15H"), (7.5, "PT7H30M"), (0.25, "PT15M"), (1, "PT1H"), (200, "PT200H")],
    ids=["whole", "whole float", "half hour", "quarter hour", "one hour", "maximum"],
)
def test_iso_hours_uses_only_whole_hours_and_minutes(hours, duration):
    assert exports.iso_hours(hours) == duration


def test_exports_reference_documents_every_catalog_json_key(catalog, district):
    from district_factory import REPO_ROOT

    text = (REPO_ROOT / "docs" / "reference" / "exports.md").read_text(encoding="utf-8")
    data = exports.catalog_json(catalog, district, generated=GENERATED)
    keys = list(data) + list(data["district"]) + list(exports.DERIVED_CREDENTIAL_KEYS) + list(exports.DERIVED_STACK_KEYS)
    missing = [key for key in keys if f"`{key}`" not in text]
    assert not missing, f"docs/reference/exports.md does not document {missing}"
