"""Machine-readable exports of the catalog, built from the same YAML as the pages.

* :func:`achievement_json` — one Open Badges 3.0 ``Achievement`` per credential
  (``catalog/<id>/achievement.json``); issuance embeds exactly this object (minus ``@context``) in
  every badge, so it uses only terms the OB 3.0 context defines.
* :func:`catalog_json` — every credential and stack with every documented field, plus derived values
  (``catalog.json``, format in ``docs/reference/exports.md``).
* :func:`ctdl_json` — a CTDL (Credential Engine) JSON-LD graph a state registry can ingest
  (``ctdl.json``), with an inline context so it expands offline.

All functions are pure: the build timestamp is passed in, never read from the clock.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from credfolio.catalog import FORMAT_VERSION as CATALOG_FORMAT_VERSION
from credfolio.catalog import Catalog, CredentialDefinition, Stack
from credfolio.config import DistrictConfig
from credfolio.contexts import CREDENTIALS_V2, OB_V3P0
from credfolio.render import escape_markdown, markdown_to_text, safe_markdown_source

#: Version of the ``catalog.json`` layout (bumped on any incompatible change).
CATALOG_JSON_FORMAT = 1
#: ``@context`` of a standalone ``achievement.json``.
ACHIEVEMENT_CONTEXT = [CREDENTIALS_V2, OB_V3P0]
#: Keys ``catalog.json`` adds to each credential beyond the YAML fields.
DERIVED_CREDENTIAL_KEYS = ("url", "achievement_url", "badge_url", "submission_template_url", "passing_rule", "stacks")
#: Keys ``catalog.json`` adds to each stack beyond the YAML fields.
DERIVED_STACK_KEYS = ("url", "total_hours")

CATALOG_JSON_FILE = "catalog.json"
CTDL_JSON_FILE = "ctdl.json"
ACHIEVEMENT_FILE = "achievement.json"
SUBMISSION_TEMPLATE_FILE = "submission-template.md"
SUBMISSION_YAML_FILE = "submission.yml"

CTDL_TERMS = "https://purl.org/ctdl/terms/"
CTDL_CONTEXT: dict[str, Any] = {
    "ceterms": CTDL_TERMS,
    "ceasn": "https://purl.org/ctdlasn/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "lifeCycle": "https://purl.org/ctdl/vocabs/lifeCycle/",
    "audLevel": "https://purl.org/ctdl/vocabs/audLevel/",
    "ceterms:name": {"@container": "@language"},
    "ceterms:alternateName": {"@container": "@language"},
    "ceterms:description": {"@container": "@language"},
    "ceterms:keyword": {"@container": "@language"},
    "ceterms:frameworkName": {"@container": "@language"},
    "ceterms:targetNodeName": {"@container": "@language"},
    "ceterms:identifierTypeName": {"@container": "@language"},
    "ceterms:subjectWebpage": {"@type": "@id"},
    "ceterms:image": {"@type": "@id"},
    "ceterms:costDetails": {"@type": "@id"},
    "ceterms:ownedBy": {"@type": "@id"},
    "ceterms:offeredBy": {"@type": "@id"},
    "ceterms:hasPart": {"@type": "@id"},
    "ceterms:isPartOf": {"@type": "@id"},
    "ceterms:targetCredential": {"@type": "@id"},
    "ceterms:targetNode": {"@type": "@id"},
    "ceterms:framework": {"@type": "@id"},
    "ceterms:timeRequired": {"@type": "xsd:duration"},
}
_LIFE_CYCLE = {"active": ("Active", "Active"), "draft": ("Developing", "Developing"), "retired": ("Ceased", "Ceased")}


# --- paths and URLs ---------------------------------------------------------------------------------


def credential_path(credential_id: str) -> str:
    """Site path of a credential page, e.g. ``catalog/talk-moves/``."""
    return f"catalog/{credential_id}/"


def stack_path(stack_id: str) -> str:
    """Site path of a stack page, e.g. ``stacks/classroom-discourse/``."""
    return f"stacks/{stack_id}/"


def badge_filename(definition: CredentialDefinition) -> str:
    """``badge.svg`` when the badge is drawn (or given as SVG), ``badge.png`` for a PNG image."""
    suffix = PurePosixPath(definition.image).suffix.lower() if definition.image else ".svg"
    return "badge" + suffix


#: The PNG drawn for link previews when a badge is SVG (LinkedIn, Slack, Teams and Facebook ignore SVG images).
SOCIAL_IMAGE_FILE = "social.png"


def social_image_filename(definition: CredentialDefinition) -> str:
    """The raster image a credential page offers as ``og:image``: its own PNG badge, or ``social.png``."""
    filename = badge_filename(definition)
    return filename if filename.endswith(".png") else SOCIAL_IMAGE_FILE


def credential_url(district: DistrictConfig, credential_id: str) -> str:
    """Absolute URL of a credential page (also the Achievement ``id``)."""
    return district.url(credential_path(credential_id))


def badge_url(district: DistrictConfig, definition: CredentialDefinition) -> str:
    """Absolute URL of a credential's badge image."""
    return credential_url(district, definition.id) + badge_filename(definition)


# --- Open Badges 3.0 Achievement ----------------------------------------------------------------------


def issuer_profile(district: DistrictConfig) -> dict[str, Any]:
    """The district as an OB 3.0 ``Profile`` (issuer and Achievement creator)."""
    return {"id": district.issuer_did, "type": ["Profile"], "name": district.name, "url": district.site_url}


def criteria_narrative(definition: CredentialDefinition, page_url: str) -> str:
    """Markdown criteria: the competency, the three-part submission, the passing rule and the artifacts."""
    lines = [
        escape_markdown(definition.competency),
        "",
        "Submit evidence from your own classroom in three parts: answers to the overview questions (Part 1), "
        "the artifacts listed below (Part 2) and a reflection (Part 3). Reviewers score the submission against "
        f"the public rubric at <{page_url}#rubric>.",
        "",
        f"**Passing rule:** {escape_markdown(definition.passing_rule_text())}.",
        "",
        "**Artifacts**",
        "",
    ]
    criteria = {row.id: row.criterion for row in definition.rubric.rows}
    for number, artifact in enumerate(definition.submission.artifacts, start=1):
        scored_on = ", ".join(escape_markdown(criteria[row]) for row in artifact.rubric_rows if row in criteria)
        description = safe_markdown_source(artifact.description).strip()
        body = f"**{escape_markdown(artifact.title)}**: {description}"
        if scored_on:
            body += f"\n\nScored on: {scored_on}."
        lines.append(f"{number}. " + textwrap.indent(body, "   ").lstrip())
    return "\n".join(lines).rstrip() + "\n"


def achievement_json(definition: CredentialDefinition, district: DistrictConfig, *, standalone: bool = True) -> dict[str, Any]:
    """The OB 3.0 ``Achievement`` of a credential, as written to ``catalog/<id>/achievement.json``.

    With ``standalone`` (the default) the result carries ``@context`` so the file is standalone JSON-LD;
    ``standalone=False`` gives the same object without it, for ``credentialSubject.achievement`` in a
    badge. Rubric rows become ``resultDescription`` entries whose ids point at the rubric table on the
    credential page: ``<page>#rubric-<row>`` for a row and ``<page>#rubric-<row>-<level>`` for a level.
    """
    page = credential_url(district, definition.id)
    image: dict[str, Any] = {"id": badge_url(district, definition), "type": "Image"}
    if definition.alt_text:
        image["caption"] = definition.alt_text
    achievement: dict[str, Any] = {"@context": list(ACHIEVEMENT_CONTEXT)} if standalone else {}
    achievement.update({
        "id": page,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": definition.title,
        "description": definition.competency,
        "criteria": {"id": page, "narrative": criteria_narrative(definition, page)},
        "image": image,
        "creator": issuer_profile(district),
        "humanCode": definition.id,
        "fieldOfStudy": ", ".join(definition.subjects),
        "version": definition.version,
        "inLanguage": "en",
    })
    if definition.alignments:
        achievement["alignment"] = [_ob_alignment(alignment) for alignment in definition.alignments]
    if definition.tags:
        achievement["tag"] = list(definition.tags)
    achievement["resultDescription"] = [_result_description(definition, row, page) for row in definition.rubric.rows]
    return achievement


def _ob_alignment(alignment: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": ["Alignment"], "targetName": alignment.name, "targetUrl": alignment.url}
    if alignment.code:
        entry["targetCode"] = alignment.code
    entry["targetFramework"] = alignment.framework
    return entry


def _result_description(definition: CredentialDefinition, row: Any, page: str) -> dict[str, Any]:
    row_id = f"{page}#rubric-{row.id}"
    return {
        "id": row_id,
        "type": ["ResultDescription"],
        "name": row.criterion,
        "resultType": "RubricCriterionLevel",
        "requiredLevel": f"{row_id}-{definition.rubric.passing.minimum_level}",
        "rubricCriterionLevel": [
            {
                "id": f"{row_id}-{level.id}",
                "type": ["RubricCriterionLevel"],
                "name": level.name,
                "description": row.descriptors.get(level.id, ""),
                "level": level.name,
                "points": str(level.points),
            }
            for level in definition.rubric.levels
        ],
    }


# --- catalog.json ---------------------------------------------------------------------------------------


def catalog_json(catalog: Catalog, district: DistrictConfig, *, generated: datetime) -> dict[str, Any]:
    """Every credential and stack with every documented YAML field plus derived values.

    ``generated`` is the build's reproducible timestamp (SOURCE_DATE_EPOCH or the last commit), never
    the wall clock. The layout is documented in ``docs/reference/exports.md``.
    """
    credentials = []
    for credential_id in sorted(catalog.credentials):
        definition = catalog.credentials[credential_id]
        entry = definition.model_dump(mode="json")
        page = credential_url(district, credential_id)
        entry.update(
            {
                "url": page,
                "achievement_url": page + ACHIEVEMENT_FILE,
                "badge_url": badge_url(district, definition),
                "submission_template_url": page + SUBMISSION_TEMPLATE_FILE if definition.is_offered else None,
                "passing_rule": definition.passing_rule_text(),
                "stacks": [stack.id for stack in catalog.stacks_for(credential_id)],
            }
        )
        credentials.append(entry)
    stacks = []
    for stack in catalog.stacks:
        entry = stack.model_dump(mode="json")
        entry.update({"url": district.url(stack_path(stack.id)), "total_hours": _number(catalog.stack_hours(stack))})
        stacks.append(entry)
    settings = district.settings
    return {
        "format": CATALOG_JSON_FORMAT,
        "catalog_format": CATALOG_FORMAT_VERSION,
        "generated": format_timestamp(generated),
        "district": {
            "name": district.name,
            "short_name": settings.short_name,
            "description": settings.description,
            "url": district.site_url,
            "issuer": district.issuer_did,
            "contact_email": settings.contact_email,
        },
        "exports": {"catalog": district.url(CATALOG_JSON_FILE), "ctdl": district.url(CTDL_JSON_FILE)},
        "credentials": credentials,
        "stacks": stacks,
    }


def format_timestamp(moment: datetime) -> str:
    """UTC timestamp with a ``Z`` suffix and whole seconds."""
    if moment.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: Decimal | float) -> int | float:
    decimal = Decimal(str(value))
    return int(decimal) if decimal == decimal.to_integral_value() else float(decimal)


# --- CTDL ---------------------------------------------------------------------------------------------------


def ctid(url: str) -> str:
    """Deterministic Credential Transparency Identifier for a URL: ``ce-<uuid5>``."""
    return "ce-" + str(uuid.uuid5(uuid.NAMESPACE_URL, url))


def ctdl_json(catalog: Catalog, district: DistrictConfig) -> dict[str, Any]:
    """The catalog as a CTDL JSON-LD graph: the district, one ``ceterms:MicroCredential`` per
    credential and one ``ceterms:Certificate`` per stack (``hasPart`` its credentials).

    The context is inline (no remote context URL), so the document expands offline.
    """
    organization = district.site_url
    graph: list[dict[str, Any]] = [_ctdl_organization(district)]
    for credential_id in sorted(catalog.credentials):
        graph.append(_ctdl_credential(catalog, catalog.credentials[credential_id], district, organization))
    for stack in catalog.stacks:
        graph.append(_ctdl_stack(catalog, stack, district, organization))
    return {"@context": dict(CTDL_CONTEXT), "@graph": graph}


def _en(text: str) -> dict[str, str]:
    return {"en": text}


def _ctdl_organization(district: DistrictConfig) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": district.site_url,
        "@type": "ceterms:CredentialOrganization",
        "ceterms:ctid": ctid(district.site_url),
        "ceterms:name": _en(district.name),
        "ceterms:subjectWebpage": district.site_url,
    }
    if district.settings.description:
        node["ceterms:description"] = _en(district.settings.description)
    if district.settings.contact_email:
        node["ceterms:email"] = [district.settings.contact_email]
    return node


def _life_cycle(status: str) -> dict[str, Any]:
    concept, name = _LIFE_CYCLE[status]
    return {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:framework": "https://credreg.net/ctdl/terms/LifeCycleStatus",
        "ceterms:frameworkName": _en("Life Cycle Status"),
        "ceterms:targetNode": f"lifeCycle:{concept}",
        "ceterms:targetNodeName": _en(name),
    }


def iso_hours(hours: float | Decimal) -> str:
    """Hours as an xsd:duration (only seconds may be fractional): ``7.5`` → ``PT7H30M``."""
    minutes = int((Decimal(str(hours)) * 60).to_integral_value())
    whole, rest = divmod(minutes, 60)
    text = "PT"
    if whole:
        text += f"{whole}H"
    if rest or not whole:
        text += f"{rest}M"
    return text


def _duration(hours: float | Decimal, description: str) -> list[dict[str, Any]]:
    return [{"@type": "ceterms:DurationProfile", "ceterms:timeRequired": iso_hours(hours), "ceterms:description": _en(description)}]


def _ctdl_credential(catalog: Catalog, definition: CredentialDefinition, district: DistrictConfig, organization: str) -> dict[str, Any]:
    page = credential_url(district, definition.id)
    hours = Decimal(str(definition.hours))
    cost_description = definition.cost.note or ("Free." if definition.cost.amount == 0 else "Cost to the educator.")
    eligibility = "Open to: " + ", ".join(definition.eligibility.roles) + "."
    if definition.eligibility.requires_students:
        eligibility += " Applying the method requires a class of students."
    if definition.eligibility.note:
        eligibility += " " + definition.eligibility.note
    competencies = [
        {"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNodeName": _en(definition.competency)}
    ] + [_ctdl_alignment(alignment) for alignment in definition.alignments]
    evidence = (
        "Submit evidence from your own classroom in three parts (overview answers, "
        + ", ".join(artifact.title for artifact in definition.submission.artifacts)
        + ", a reflection), scored against the public rubric. Passing rule: "
        + definition.passing_rule_text()
        + "."
    )
    keywords = list(definition.tags) + [f"Grades {band}" for band in definition.grade_bands]
    node: dict[str, Any] = {
        "@id": page,
        "@type": "ceterms:MicroCredential",
        "ceterms:ctid": ctid(page),
        "ceterms:name": _en(definition.title),
        "ceterms:description": _en(definition.competency),
        "ceterms:subjectWebpage": page,
        "ceterms:image": badge_url(district, definition),
        "ceterms:codedNotation": definition.id,
        "ceterms:inLanguage": ["en"],
        "ceterms:lifeCycleStatusType": _life_cycle(definition.status),
        "ceterms:ownedBy": [organization],
        "ceterms:offeredBy": [organization],
        "ceterms:versionIdentifier": [
            {"@type": "ceterms:IdentifierValue", "ceterms:identifierTypeName": _en("Version"), "ceterms:identifierValueCode": definition.version}
        ],
        "ceterms:audienceLevelType": [
            {
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:framework": "https://credreg.net/ctdl/terms/AudienceLevel",
                "ceterms:frameworkName": _en("Audience Level"),
                "ceterms:targetNode": "audLevel:ProfessionalLevel",
                "ceterms:targetNodeName": _en("Professional Level"),
            }
        ],
        "ceterms:subject": [
            {"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNodeName": _en(subject)} for subject in definition.subjects
        ],
        "ceterms:estimatedCost": [
            {
                "@type": "ceterms:CostProfile",
                "ceterms:price": definition.cost.amount,
                "ceterms:currency": definition.cost.currency,
                "ceterms:costDetails": page,
                "ceterms:description": _en(cost_description),
            }
        ],
        "ceterms:estimatedDuration": _duration(hours, f"About {_number(hours)} hours of professional learning."),
        "ceterms:requires": [
            {"@type": "ceterms:ConditionProfile", "ceterms:name": _en("Eligibility"), "ceterms:description": _en(eligibility)},
            {
                "@type": "ceterms:ConditionProfile",
                "ceterms:name": _en("Demonstrate the competency"),
                "ceterms:description": _en(evidence),
                "ceterms:targetCompetency": competencies,
            },
        ],
    }
    if keywords:
        node["ceterms:keyword"] = _en_list(keywords)
    stacks = catalog.stacks_for(definition.id)
    if stacks:
        node["ceterms:isPartOf"] = [district.url(stack_path(stack.id)) for stack in stacks]
    return node


def _en_list(values: list[str]) -> dict[str, list[str]]:
    return {"en": values}


def _ctdl_alignment(alignment: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:frameworkName": _en(alignment.framework),
        "ceterms:targetNode": alignment.url,
        "ceterms:targetNodeName": _en(alignment.name),
    }
    if alignment.code:
        node["ceterms:codedNotation"] = alignment.code
    return node


def _ctdl_stack(catalog: Catalog, stack: Stack, district: DistrictConfig, organization: str) -> dict[str, Any]:
    page = district.url(stack_path(stack.id))
    members = [credential_url(district, cid) for cid in stack.all_credentials]
    titles = [catalog.credentials[cid].title for cid in stack.credentials]
    rule = "Earn these micro-credentials: " + "; ".join(titles) + "."
    if stack.capstone:
        rule += f" Then earn the capstone, {catalog.credentials[stack.capstone].title}."
    description = stack.earns.description or markdown_to_text(stack.description)
    total = catalog.stack_hours(stack)
    return {
        "@id": page,
        "@type": "ceterms:Certificate",
        "ceterms:ctid": ctid(page),
        "ceterms:name": _en(stack.earns.title),
        "ceterms:alternateName": _en(stack.title),
        "ceterms:description": _en(description),
        "ceterms:subjectWebpage": page,
        "ceterms:inLanguage": ["en"],
        "ceterms:lifeCycleStatusType": _life_cycle("active"),
        "ceterms:ownedBy": [organization],
        "ceterms:offeredBy": [organization],
        "ceterms:hasPart": members,
        "ceterms:estimatedDuration": _duration(total, f"About {_number(total)} hours in total (sum of its micro-credentials)."),
        "ceterms:requires": [
            {
                "@type": "ceterms:ConditionProfile",
                "ceterms:name": _en("Complete the pathway"),
                "ceterms:description": _en(rule),
                "ceterms:targetCredential": members,
            }
        ],
    }


def to_json_text(data: Any) -> str:
    """Stable, readable JSON (UTF-8, two-space indent, trailing newline)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
