"""The micro-credential catalog: one YAML file per credential under ``catalog/`` plus ``stacks.yml``.

:func:`load_catalog` reads and validates every file and returns a :class:`Catalog`; every problem is
reported with its file, line and field (``catalog/talk-moves.yml:14: rubric.levels: …``). The field
reference in ``docs/reference/catalog.md`` is generated from these models (see :func:`field_reference`),
so the documentation cannot drift from the schema.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from credfolio.errors import CatalogError, CredfolioError, Location, ValidationError
from credfolio.yamlfile import FieldPath, YamlDocument, load_yaml

FORMAT_VERSION = 1
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
GRADE_BANDS = ("PK-2", "3-5", "6-8", "9-12")
RESOURCE_KINDS = ("article", "video", "book", "tool", "template", "course", "website", "report")
MAX_CATALOG_FILES = 5000

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
PlainText = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
MarkdownText = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s<>\"'`]+$", max_length=2000)]
Duration = Annotated[str, StringConstraints(pattern=r"^P(\d+Y)?(\d+M)?(\d+D)?$", min_length=3)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MethodComponent(_Model):
    """One component of the key method."""

    title: ShortText = Field(description="Short name of the component.")
    description: MarkdownText = Field(description="What the educator does (Markdown).")


class Citation(_Model):
    """A published source supporting the key method."""

    text: PlainText = Field(description="Full citation, APA style.")
    url: HttpsUrl | None = Field(None, description="DOI or stable https link, when known.")


class Research(_Model):
    """Why the key method works."""

    rationale: MarkdownText = Field(description="Research rationale (Markdown).")
    citations: list[Citation] = Field(min_length=1, description="At least one real citation.")


class Resource(_Model):
    """A learning resource for the key method."""

    title: ShortText = Field(description="Resource title.")
    url: HttpsUrl = Field(description="https link.")
    kind: Literal[RESOURCE_KINDS] = Field("article", description="One of: " + ", ".join(RESOURCE_KINDS) + ".")  # type: ignore[valid-type]
    description: PlainText | None = Field(None, description="One-line description.")


class OverviewQuestion(_Model):
    """A Part 1 overview (context) question."""

    id: Slug = Field(description="Slug, unique within the credential.")
    prompt: PlainText = Field(description="The question.")
    word_limit: int = Field(ge=25, le=2000, description="Maximum words for the answer.")


class Artifact(_Model):
    """A Part 2 work example the teacher submits, scored by one or more rubric rows."""

    id: Slug = Field(description="Slug, unique within the credential.")
    title: ShortText = Field(description="Artifact name.")
    description: MarkdownText = Field(description="What to submit (Markdown).")
    rubric_rows: list[Slug] = Field(min_length=1, description="Ids of the rubric rows that score this artifact.")
    format: ShortText | None = Field(None, description="Accepted formats, e.g. 'PDF or link'.")


class ReflectionPrompt(_Model):
    """A Part 3 reflection prompt."""

    id: Slug = Field(description="Slug, unique within the credential.")
    prompt: PlainText = Field(description="The prompt.")
    word_limit: int = Field(ge=25, le=2000, description="Maximum words.")
    rubric_rows: list[Slug] = Field(default_factory=list, description="Ids of rubric rows that score the reflection.")


class Submission(_Model):
    """The three-part submission a teacher sends for review."""

    overview: list[OverviewQuestion] = Field(min_length=1, description="Part 1 overview questions.")
    artifacts: list[Artifact] = Field(min_length=1, description="Part 2 artifacts.")
    reflection: list[ReflectionPrompt] = Field(min_length=1, description="Part 3 reflection prompts.")


class RubricLevel(_Model):
    """A performance level; levels are listed highest first."""

    id: Slug = Field(description="Slug, e.g. proficient.")
    name: ShortText = Field(description="Display name, e.g. Proficient.")
    points: int = Field(ge=0, le=100, description="Points; must decrease down the list.")
    description: PlainText | None = Field(None, description="What the level means in general.")


class RubricRow(_Model):
    """One rubric criterion with a descriptor for every level."""

    id: Slug = Field(description="Slug, unique within the rubric.")
    criterion: ShortText = Field(description="What is scored.")
    descriptors: dict[Slug, PlainText] = Field(description="Level id → descriptor, one per level.")


class PassingRule(_Model):
    """Every row must reach ``minimum_level`` except up to ``rows_below_allowed`` rows."""

    minimum_level: Slug = Field(description="Id of the lowest passing level.")
    rows_below_allowed: int = Field(0, ge=0, description="How many rows may fall below the minimum level.")


class Rubric(_Model):
    """The public rubric assessors use."""

    levels: list[RubricLevel] = Field(min_length=2, description="Levels, highest first (at least two).")
    rows: list[RubricRow] = Field(min_length=1, description="Criteria.")
    passing: PassingRule = Field(description="The passing rule.")


class Cost(_Model):
    """What earning the credential costs the educator."""

    amount: float = Field(ge=0, description="0 means free.")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field("USD", description="ISO 4217 code.")
    note: PlainText | None = Field(None, description="Fees, waivers, who pays.")


class Eligibility(_Model):
    """Who may earn the credential."""

    roles: list[ShortText] = Field(min_length=1, description="Roles that may apply.")
    requires_students: bool = Field(description="Whether applying the method needs a class of students.")
    note: PlainText | None = Field(None, description="Other conditions.")


class Alignment(_Model):
    """Alignment to a standards framework (exported as an OB 3.0 Alignment)."""

    framework: ShortText = Field(description="Framework name, e.g. ISTE Standards for Educators.")
    code: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(None, description="Standard code.")
    name: PlainText = Field(description="Standard name.")
    url: HttpsUrl = Field(description="https link to the standard or framework.")


class Provider(_Model):
    """Who designed the credential when it is not the district."""

    name: ShortText = Field(description="Provider name.")
    url: HttpsUrl | None = Field(None, description="Provider website.")


class CreditNote(_Model):
    """How the credential counts locally (salary schedule, state clock hours)."""

    authority: ShortText = Field(description="Who grants the credit.")
    note: PlainText = Field(description="What it counts for.")


class CredentialDefinition(_Model):
    """One micro-credential, as written in ``catalog/<id>.yml``."""

    id: Slug = Field(description="Slug; also the file name.")
    title: Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)] = Field(
        description="Title shown everywhere."
    )
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+(\.\d+)?$")] = Field(
        description='Version string in quotes, e.g. "1.0.0".'
    )
    status: Literal["draft", "active", "retired"] = Field(description="draft, active or retired.")
    summary: ShortText = Field(description="One-line card text.")
    alt_text: ShortText | None = Field(None, description="Alternative text of the badge image.")
    competency: PlainText = Field(description="The one competency, as one sentence.")
    key_method: MarkdownText = Field(description="The key method (Markdown).")
    method_components: list[MethodComponent] = Field(min_length=1, description="Components of the key method.")
    research: Research = Field(description="Rationale and citations.")
    resources: list[Resource] = Field(default_factory=list, description="Learning resources.")
    submission: Submission = Field(description="Parts 1–3 of the submission.")
    rubric: Rubric = Field(description="Levels, rows and passing rule.")
    hours: float = Field(gt=0, le=200, description="Approximate PD hours.")
    cost: Cost = Field(description="Cost to the educator.")
    eligibility: Eligibility = Field(description="Who may apply.")
    subjects: list[ShortText] = Field(min_length=1, description="Subjects (catalog facet).")
    grade_bands: list[Literal[GRADE_BANDS]] = Field(min_length=1, description="Any of: " + ", ".join(GRADE_BANDS) + ".")  # type: ignore[valid-type]
    alignments: list[Alignment] = Field(default_factory=list, description="Standards alignments.")
    provider: Provider | None = Field(None, description="Designer, when not the district.")
    image: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_./-]+\.(png|svg)$")] | None = Field(
        None, description="Repo-relative path of a PNG or SVG badge image; drawn automatically when absent."
    )
    expires_after: Duration | None = Field(None, description="ISO 8601 duration (PnY, PnM, PnD) after which a badge expires.")
    credit: list[CreditNote] = Field(default_factory=list, description="Local credit notes.")
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=list, description="Search tags."
    )

    @property
    def is_offered(self) -> bool:
        """Only active credentials accept submissions."""
        return self.status == "active"

    def passing_rule_text(self) -> str:
        """The passing rule in words, e.g. 'Proficient or above on every row'."""
        levels = {level.id: level for level in self.rubric.levels}
        level = levels.get(self.rubric.passing.minimum_level)
        name = level.name if level else self.rubric.passing.minimum_level
        allowed = self.rubric.passing.rows_below_allowed
        if allowed == 0:
            return f"{name} or above on every row"
        rows = "row" if allowed == 1 else "rows"
        return f"{name} or above on every row, except at most {allowed} {rows}"

    def level_rank(self, level_id: str) -> int:
        """0 for the highest level, increasing downwards; raises KeyError for an unknown level."""
        for rank, level in enumerate(self.rubric.levels):
            if level.id == level_id:
                return rank
        raise KeyError(level_id)

    def passes(self, scores: dict[str, str]) -> bool:
        """Apply the passing rule to ``{row_id: level_id}`` scores (every row must be scored)."""
        minimum = self.level_rank(self.rubric.passing.minimum_level)
        below = sum(1 for row in self.rubric.rows if self.level_rank(scores[row.id]) > minimum)
        return below <= self.rubric.passing.rows_below_allowed


class StackEarns(_Model):
    """What completing a stack earns."""

    title: ShortText = Field(description="Name of the stack award.")
    description: PlainText | None = Field(None, description="What the award recognises.")
    badge: bool = Field(True, description="Whether a stack badge is issued on completion.")
    credit: PlainText | None = Field(None, description="Credit the award counts for.")


class Stack(_Model):
    """An ordered pathway of credentials with an optional capstone."""

    id: Slug = Field(description="Slug.")
    title: ShortText = Field(description="Stack title.")
    description: MarkdownText = Field(description="What the pathway builds (Markdown).")
    credentials: list[Slug] = Field(min_length=1, description="Ordered credential ids.")
    capstone: Slug | None = Field(None, description="Credential id earned last, not listed in credentials.")
    earns: StackEarns = Field(description="What completing the stack earns.")

    @property
    def all_credentials(self) -> list[str]:
        """Credential ids in order, capstone last."""
        return list(self.credentials) + ([self.capstone] if self.capstone else [])


class StacksFile(_Model):
    """``catalog/stacks.yml``."""

    format: Literal[1] = Field(1, description="File format version.")
    stacks: list[Stack] = Field(default_factory=list, description="The stacks, in display order.")


@dataclass(frozen=True)
class Warning_:
    """A problem that does not block a build (e.g. a missing alt text)."""

    location: Location
    message: str

    def __str__(self) -> str:
        where = str(self.location)
        if self.location.field:
            where += f": {self.location.field}"
        return f"{where}: warning: {self.message}"


@dataclass
class Catalog:
    """All credential definitions and stacks of a district, validated."""

    root: Path
    credentials: dict[str, CredentialDefinition]
    stacks: list[Stack]
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[Warning_] = field(default_factory=list)

    def stack_hours(self, stack: Stack) -> Decimal:
        """Total hours of a stack: its credentials plus the capstone (derived, never written)."""
        return sum((Decimal(str(self.credentials[cid].hours)) for cid in stack.all_credentials), Decimal(0))

    def stacks_for(self, credential_id: str) -> list[Stack]:
        """Stacks that contain a credential (as a step or capstone)."""
        return [stack for stack in self.stacks if credential_id in stack.all_credentials]

    @property
    def active(self) -> list[CredentialDefinition]:
        """Active credentials sorted by title."""
        return sorted((c for c in self.credentials.values() if c.status == "active"), key=lambda c: c.title.lower())


_ALL_FIELD_NAMES: set[str] = set()
for _model in list(globals().values()):
    if isinstance(_model, type) and issubclass(_model, BaseModel) and _model is not BaseModel:
        _ALL_FIELD_NAMES.update(_model.model_fields)


def load_catalog(district_dir: Path, catalog_dir: str = "catalog") -> Catalog:
    """Load and validate every ``catalog/*.yml`` and ``catalog/stacks.yml`` under ``district_dir``.

    Raises :class:`ValidationError` listing every problem (file, line, field, message).
    """
    root = Path(district_dir)
    folder = root / catalog_dir
    problems: list[CredfolioError] = []
    warnings: list[Warning_] = []
    credentials: dict[str, CredentialDefinition] = {}
    sources: dict[str, str] = {}
    if not folder.is_dir():
        raise CatalogError(f"no catalog folder '{catalog_dir}/' in {root}", location=Location(str(folder)))
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.name not in ("stacks.yml", "stacks.yaml"))
    if len(files) > MAX_CATALOG_FILES:
        raise CatalogError(f"more than {MAX_CATALOG_FILES} catalog files", location=Location(f"{catalog_dir}/"))
    for path in files:
        display = f"{catalog_dir}/{path.name}"
        try:
            document = load_yaml(path, display)
            definition = _validate(CredentialDefinition, document)
            _check_credential(definition, document, path.stem, problems, warnings)
        except CredfolioError as error:
            problems.extend(error.problems if isinstance(error, ValidationError) else [error])
            continue
        if definition.id in credentials:
            problems.append(CatalogError(f"id '{definition.id}' is already used by {sources[definition.id]}", location=document.location(("id",))))
            continue
        credentials[definition.id] = definition
        sources[definition.id] = display

    stacks: list[Stack] = []
    stacks_path = folder / "stacks.yml"
    if stacks_path.exists() or stacks_path.is_symlink():
        display = f"{catalog_dir}/stacks.yml"
        try:
            document = load_yaml(stacks_path, display)
            stacks_file = _validate(StacksFile, document)
            invalid = {path.stem for path in files} - set(credentials)
            _check_stacks(stacks_file, document, credentials, invalid, problems, warnings)
            stacks = list(stacks_file.stacks)
        except CredfolioError as error:
            problems.extend(error.problems if isinstance(error, ValidationError) else [error])
    if problems:
        raise ValidationError(problems)
    return Catalog(root=root, credentials=credentials, stacks=stacks, sources=sources, warnings=warnings)


def _validate(model: type[BaseModel], document: YamlDocument) -> Any:
    """Validate YAML data against a model; turn pydantic errors into located CatalogErrors."""
    if not isinstance(document.data, dict):
        kind = "empty" if document.data is None else f"a {type(document.data).__name__}"
        raise CatalogError(f"expected a mapping of fields at the top level, found {kind}", location=Location(document.display_name, 1))
    try:
        return model.model_validate(document.data)
    except PydanticValidationError as error:
        raise ValidationError([_located(document, item) for item in error.errors(include_url=False)]) from None


def _located(document: YamlDocument, item: dict[str, Any]) -> CatalogError:
    path: FieldPath = tuple(part for part in item["loc"] if not (isinstance(part, str) and _is_union_tag(part)))
    kind = item["type"]
    if kind == "extra_forbidden":
        key = str(path[-1])
        hint = difflib.get_close_matches(key, sorted(_ALL_FIELD_NAMES), n=1)
        message = f"unknown field '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "string_type" and path and path[-1] == "version":
        message = 'write the version in quotes, e.g. version: "1.0.0"'
    elif kind == "string_pattern_mismatch" and path and (path[-1] == "id" or _is_slug_field(path)):
        message = f"'{item.get('input')}' is not a valid id: use lowercase letters, digits and single hyphens (e.g. talk-moves)"
    elif kind == "string_pattern_mismatch" and path and path[-1] == "url":
        message = f"'{item.get('input')}' is not an https URL"
    else:
        message = item["msg"]
        if "input" in item and isinstance(item["input"], (str, int, float)) and kind not in ("string_too_long",):
            shown = str(item["input"])
            message += f" (got {shown[:60]!r})" if len(shown) <= 60 else ""
    return CatalogError(message, location=document.location(path))


def _is_union_tag(part: str) -> bool:
    # pydantic puts union member names (e.g. 'decimal', 'int', 'literal[...]') into error locations
    return part in ("decimal", "int", "float", "str", "function-after[...]") or part.startswith(("literal[", "constrained-str", "list[", "function-"))


def _is_slug_field(path: FieldPath) -> bool:
    return any(part in ("rubric_rows", "credentials", "capstone", "minimum_level", "descriptors") for part in path if isinstance(part, str))


def _problem(document: YamlDocument, path: FieldPath, message: str) -> CatalogError:
    return CatalogError(message, location=document.location(path))


def _check_credential(
    definition: CredentialDefinition,
    document: YamlDocument,
    file_stem: str,
    problems: list[CredfolioError],
    warnings: list[Warning_],
) -> None:
    """Cross-field rules pydantic cannot express: ids, rubric consistency, image path."""
    if definition.id != file_stem:
        problems.append(_problem(document, ("id",), f"id '{definition.id}' must match the file name '{file_stem}.yml'"))
    _check_unique(document, problems, [("submission", "overview", i, "id") for i in range(len(definition.submission.overview))],
                  [q.id for q in definition.submission.overview], "overview question")
    _check_unique(document, problems, [("submission", "artifacts", i, "id") for i in range(len(definition.submission.artifacts))],
                  [a.id for a in definition.submission.artifacts], "artifact")
    _check_unique(document, problems, [("submission", "reflection", i, "id") for i in range(len(definition.submission.reflection))],
                  [r.id for r in definition.submission.reflection], "reflection prompt")

    rubric = definition.rubric
    level_ids = [level.id for level in rubric.levels]
    _check_unique(document, problems, [("rubric", "levels", i, "id") for i in range(len(rubric.levels))], level_ids, "level")
    _check_unique(document, problems, [("rubric", "levels", i, "name") for i in range(len(rubric.levels))],
                  [level.name for level in rubric.levels], "level name")
    for index in range(1, len(rubric.levels)):
        if rubric.levels[index].points >= rubric.levels[index - 1].points:
            problems.append(_problem(document, ("rubric", "levels", index, "points"),
                                     "levels are listed highest first, so points must decrease down the list"))
    row_ids = [row.id for row in rubric.rows]
    _check_unique(document, problems, [("rubric", "rows", i, "id") for i in range(len(rubric.rows))], row_ids, "rubric row")
    for index, row in enumerate(rubric.rows):
        missing = [lid for lid in level_ids if lid not in row.descriptors]
        extra = [key for key in row.descriptors if key not in level_ids]
        if missing:
            problems.append(_problem(document, ("rubric", "rows", index, "descriptors"),
                                     f"missing a descriptor for level(s) {', '.join(missing)}"))
        for key in extra:
            problems.append(_problem(document, ("rubric", "rows", index, "descriptors", key),
                                     f"'{key}' is not a rubric level (levels: {', '.join(level_ids)})"))
    if rubric.passing.minimum_level not in level_ids:
        problems.append(_problem(document, ("rubric", "passing", "minimum_level"),
                                 f"'{rubric.passing.minimum_level}' is not a rubric level (levels: {', '.join(level_ids)})"))
    if rubric.passing.rows_below_allowed >= len(rubric.rows):
        problems.append(_problem(document, ("rubric", "passing", "rows_below_allowed"),
                                 "must be smaller than the number of rubric rows, or every submission would pass"))

    used: set[str] = set()
    for part, items in (("artifacts", definition.submission.artifacts), ("reflection", definition.submission.reflection)):
        for index, item in enumerate(items):
            for position, row_id in enumerate(item.rubric_rows):
                used.add(row_id)
                if row_id not in row_ids:
                    problems.append(_problem(document, ("submission", part, index, "rubric_rows", position),
                                             f"'{row_id}' is not a rubric row (rows: {', '.join(row_ids)})"))
    for index, row_id in enumerate(row_ids):
        if row_id not in used:
            problems.append(_problem(document, ("rubric", "rows", index, "id"),
                                     f"rubric row '{row_id}' is not scored by any artifact or reflection prompt"))

    if definition.image is not None:
        image_path = document.path.parent.parent / definition.image
        if ".." in Path(definition.image).parts or definition.image.startswith("/"):
            problems.append(_problem(document, ("image",), "image path must stay inside the repository"))
        elif not image_path.is_file():
            problems.append(_problem(document, ("image",), f"image file '{definition.image}' does not exist"))
    if definition.alt_text is None:
        warnings.append(Warning_(document.location(("alt_text",)), "no alt_text: screen-reader users will hear only the title"))
    duplicates = sorted({s for s in definition.subjects if definition.subjects.count(s) > 1})
    if duplicates:
        problems.append(_problem(document, ("subjects",), f"listed twice: {', '.join(duplicates)}"))


def _check_unique(document: YamlDocument, problems: list[CredfolioError], paths: list[FieldPath], values: list[str], what: str) -> None:
    seen: set[str] = set()
    for path, value in zip(paths, values):
        if value in seen:
            problems.append(_problem(document, path, f"{what} '{value}' is listed twice"))
        seen.add(value)


def _check_stacks(
    stacks_file: StacksFile,
    document: YamlDocument,
    credentials: dict[str, CredentialDefinition],
    invalid_ids: set[str],
    problems: list[CredfolioError],
    warnings: list[Warning_],
) -> None:
    """Stack ids unique, references resolve, capstone not also a step.

    References to credential files that exist but failed validation are not reported again.
    """
    _check_unique(document, problems, [("stacks", i, "id") for i in range(len(stacks_file.stacks))],
                  [s.id for s in stacks_file.stacks], "stack")
    for index, stack in enumerate(stacks_file.stacks):
        _check_unique(document, problems, [("stacks", index, "credentials", i) for i in range(len(stack.credentials))],
                      list(stack.credentials), "credential")
        references = [(("stacks", index, "credentials", i), cid) for i, cid in enumerate(stack.credentials)]
        if stack.capstone:
            references.append((("stacks", index, "capstone"), stack.capstone))
            if stack.capstone in stack.credentials:
                problems.append(_problem(document, ("stacks", index, "capstone"),
                                         f"capstone '{stack.capstone}' is also listed in credentials; list it only as the capstone"))
        for path, cid in references:
            definition = credentials.get(cid)
            if definition is None and cid in invalid_ids:
                continue
            if definition is None:
                hint = difflib.get_close_matches(cid, sorted(credentials), n=1)
                problems.append(_problem(document, path, f"no credential '{cid}' in the catalog"
                                         + (f" (did you mean '{hint[0]}'?)" if hint else "")))
            elif definition.status != "active":
                warnings.append(Warning_(document.location(path), f"credential '{cid}' is {definition.status}; the stack cannot be completed with it"))


def field_reference() -> str:
    """Markdown reference of every catalog field, generated from the models (used by docs and its drift test)."""
    lines: list[str] = []
    seen: set[type] = set()

    def describe(model: type[BaseModel], prefix: str) -> None:
        if model in seen and prefix:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            required = "required" if info.is_required() else "optional"
            type_name = _type_name(Annotated[(info.annotation, *info.metadata)]) if info.metadata else _type_name(info.annotation)
            lines.append(f"| `{path}` | {type_name} | {required} | {info.description or ''} |")
            for nested in _nested_models(info.annotation):
                describe(nested, f"{path}{'[]' if _is_list(info.annotation) else ''}.")

    lines.append("| field | type | | meaning |")
    lines.append("| --- | --- | --- | --- |")
    describe(CredentialDefinition, "")
    text = "### Credential file `catalog/<id>.yml`\n\n" + "\n".join(lines) + "\n"
    lines.clear()
    seen.clear()
    lines.append("| field | type | | meaning |")
    lines.append("| --- | --- | --- | --- |")
    describe(StacksFile, "")
    return text + "\n### Stacks file `catalog/stacks.yml`\n\n" + "\n".join(lines) + "\n"


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_nested_models(arg))
    return found


def _is_list(annotation: Any) -> bool:
    origin = getattr(annotation, "__origin__", None)
    if origin is list:
        return True
    return any(_is_list(arg) for arg in getattr(annotation, "__args__", ()) or ())


def _type_name(annotation: Any) -> str:
    """Human type name for the field reference: 'text', 'list of Citation', 'one of draft, active, retired'."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        base = _type_name(args[0])
        pattern = next((getattr(meta, "pattern", None) for meta in args[1:] if getattr(meta, "pattern", None)), None)
        if pattern == SLUG_PATTERN:
            return "id (slug)"
        if pattern and pattern.startswith("^https://"):
            return "https URL"
        return base
    if origin is Literal:
        return "one of " + ", ".join(str(arg) for arg in args)
    if origin is list:
        return "list of " + _type_name(args[0])
    if origin is dict:
        return f"map of {_type_name(args[0])} to {_type_name(args[1])}"
    if origin in (Union, UnionType):
        names = [_type_name(arg) for arg in args if arg is not type(None)]
        return " or ".join(names)
    names = {str: "text", int: "integer", float: "number", bool: "true/false"}
    if annotation in names:
        return names[annotation]
    return getattr(annotation, "__name__", str(annotation))
