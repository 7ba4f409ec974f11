"""Rubric review of a submission: levels and feedback per rubric row, the passing rule, the feedback letter.

A review is a YAML file (``format: 1``) in the district's private folder, one new file per review
(``reviews/<credential>/<submission-id>/review-<n>.yml``; the latest one of a submission is the
decision), next to the feedback letter sent to the teacher (``review-<n>.md`` and ``review-<n>.html``).

Outcomes: ``pass``, ``resubmit`` (the letter lists the rows to improve), and — with a second, blind
review (Delaware DOE style) — ``needs-third-review`` when the two reviewers disagree on pass/resubmit.
A badge is issued only when :attr:`Review.passed`; :attr:`Review.scores` are the levels the badge
records (with two reviewers, per row the lower of the two levels, which both reviewers agree was reached).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from credfolio.catalog import SLUG_PATTERN, Catalog, CredentialDefinition
from credfolio.errors import CredfolioError, Location, ReviewError, ValidationError
from credfolio.render import OVERRIDES_DIR, escape_markdown, template_environment
from credfolio.submissions import (
    IsoDate,
    Locator,
    PersonName,
    Submission,
    SubmissionId,
    count_words,
    dump_yaml,
    located_problems,
    write_new_file,
)
from credfolio.yamlfile import FieldPath, dotted, load_yaml

if TYPE_CHECKING:
    from credfolio.config import DistrictConfig

FORMAT_VERSION = 1
REVIEWS_DIR = "reviews"
OUTCOMES = ("pass", "resubmit", "needs-third-review")
REVIEW_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*/review-[1-9][0-9]*$"
_REVIEW_FILE = re.compile(r"^review-([1-9][0-9]*)\.yml$")

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
FeedbackText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000,
                                                pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
ReviewId = Annotated[str, StringConstraints(pattern=REVIEW_ID_PATTERN, max_length=160)]


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _drop_blank_feedback(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: text for key, text in value.items() if not (isinstance(text, str) and not text.strip()) and text is not None}
    return value


OptionalText = Annotated[FeedbackText | None, BeforeValidator(_blank_to_none)]
Feedback = Annotated[dict[str, FeedbackText], BeforeValidator(_drop_blank_feedback)]


# --------------------------------------------------------------------------------------------------
# Public data model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The passing rule applied to one reviewer's scores."""

    passed: bool
    rows_below: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    """One reviewer's levels (row id → level id), written feedback per row and summary."""

    reviewer: str
    reviewed: date
    scores: dict[str, str]
    feedback: dict[str, str]
    summary: str | None = None


@dataclass(frozen=True)
class Review:
    """A recorded review of one submission (see :func:`load_review`)."""

    submission_id: str
    credential_id: str
    credential_version: str
    first: Assessment
    outcome: Literal["pass", "resubmit", "needs-third-review"]
    scores: dict[str, str]
    rows_to_improve: tuple[str, ...] = ()
    second: Assessment | None = None
    previous_review: str | None = None
    id: str | None = None
    path: Path | None = dataclasses.field(default=None, compare=False)

    @property
    def passed(self) -> bool:
        """True only when every reviewer's scores meet the passing rule."""
        return self.outcome == "pass"

    @property
    def reviewer(self) -> str:
        """The (first) reviewer's name."""
        return self.first.reviewer

    @property
    def reviewers(self) -> tuple[str, ...]:
        """Every reviewer's name, first reviewer first."""
        return (self.first.reviewer,) + ((self.second.reviewer,) if self.second else ())

    @property
    def reviewed(self) -> date:
        """The date the decision was complete (the later review date when there are two reviewers)."""
        return max(self.first.reviewed, self.second.reviewed) if self.second else self.first.reviewed

    @property
    def feedback(self) -> dict[str, str]:
        """The first reviewer's feedback per row."""
        return self.first.feedback

    @property
    def summary(self) -> str | None:
        """The first reviewer's summary."""
        return self.first.summary

    @property
    def assessments(self) -> tuple[Assessment, ...]:
        """Every reviewer's assessment, in order."""
        return (self.first,) + ((self.second,) if self.second else ())

    def to_data(self) -> dict[str, Any]:
        """The file's fields in their documented order."""
        data: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "submission": self.submission_id,
            "credential": self.credential_id,
            "credential_version": self.credential_version,
            "reviewer": self.first.reviewer,
            "reviewed": self.first.reviewed,
            "scores": dict(self.first.scores),
            "feedback": dict(self.first.feedback),
        }
        if self.first.summary:
            data["summary"] = self.first.summary
        if self.previous_review:
            data["previous_review"] = self.previous_review
        if self.second:
            second: dict[str, Any] = {"reviewer": self.second.reviewer, "reviewed": self.second.reviewed,
                                      "scores": dict(self.second.scores), "feedback": dict(self.second.feedback)}
            if self.second.summary:
                second["summary"] = self.second.summary
            data["second_review"] = second
            data["agreed_scores"] = dict(self.scores)
        data["outcome"] = self.outcome
        if self.rows_to_improve:
            data["rows_to_improve"] = list(self.rows_to_improve)
        return data


def to_yaml(review: Review) -> str:
    """Serialise a review as a readable YAML file."""
    header = "# credfolio review - private: keep it in the district's private folder, never in the repository.\n"
    return header + dump_yaml(review.to_data())


@dataclass(frozen=True)
class ScoresInput:
    """Levels, feedback and summary from a ``--scores`` file."""

    scores: dict[str, str]
    feedback: dict[str, str]
    summary: str | None


@dataclass(frozen=True)
class RowPrompt:
    """What an interactive review shows for one rubric row."""

    row_id: str
    criterion: str
    levels: tuple[tuple[str, str, str], ...]  # (level id, name, descriptor), highest first
    minimum_level: str
    minimum_name: str
    evidence: tuple[str, ...]


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------


def score(definition: CredentialDefinition, scores: dict[str, str]) -> Outcome:
    """Apply the credential's passing rule to ``{row_id: level_id}``; raises :class:`ValidationError` for bad scores."""
    problems = _check_scores(definition, scores, {}, _unlocated("scores"), require_feedback=False)
    if problems:
        raise ValidationError(problems)
    return _outcome(definition, scores)


def _outcome(definition: CredentialDefinition, scores: dict[str, str]) -> Outcome:
    minimum = definition.level_rank(definition.rubric.passing.minimum_level)
    below = tuple(row.id for row in definition.rubric.rows if definition.level_rank(scores[row.id]) > minimum)
    return Outcome(passed=len(below) <= definition.rubric.passing.rows_below_allowed, rows_below=below)


def _unlocated(part: str) -> Locator:
    def locate(field_path: FieldPath) -> Location:
        return Location("review", None, dotted(field_path) or None)

    return locate


def _check_scores(definition: CredentialDefinition, scores: dict[str, str], feedback: dict[str, str], locate: Locator,
                  *, require_feedback: bool, prefix: FieldPath = ()) -> list[CredfolioError]:
    """Every rubric row scored with a known level; feedback only for rows; feedback for every row below passing."""
    problems: list[CredfolioError] = []
    rows = {row.id: row for row in definition.rubric.rows}
    levels = [level.id for level in definition.rubric.levels]
    for row_id, row in rows.items():
        if row_id not in scores:
            problems.append(ReviewError(f"no level for rubric row '{row_id}' ({row.criterion})",
                                        location=_named(locate(prefix + ("scores",)), dotted(prefix + ("scores", row_id)))))
    for row_id, level in scores.items():
        if row_id not in rows:
            hint = difflib.get_close_matches(str(row_id), list(rows), n=1)
            problems.append(ReviewError(f"'{row_id}' is not a rubric row of {definition.id} ({', '.join(rows)})"
                                        + (f"; did you mean '{hint[0]}'?" if hint else ""), location=locate(prefix + ("scores", row_id))))
        elif level not in levels:
            problems.append(ReviewError(f"'{level}' is not a level of this rubric ({', '.join(levels)})",
                                        location=locate(prefix + ("scores", row_id))))
    for row_id in feedback:
        if row_id not in rows:
            problems.append(ReviewError(f"'{row_id}' is not a rubric row of {definition.id} ({', '.join(rows)})",
                                        location=locate(prefix + ("feedback", row_id))))
    if require_feedback and not problems:
        minimum = definition.rubric.passing.minimum_level
        minimum_name = _level_name(definition, minimum)
        for row_id in rows:
            if definition.level_rank(scores[row_id]) > definition.level_rank(minimum) and not feedback.get(row_id, "").strip():
                problems.append(ReviewError(f"feedback is required for a row below {minimum_name}: tell the teacher what to improve",
                                            location=_named(locate(prefix + ("feedback",)), dotted(prefix + ("feedback", row_id)))))
    return problems


def _named(location: Location, field_name: str) -> Location:
    return Location(location.file, location.line, field_name)


def _level_name(definition: CredentialDefinition, level_id: str) -> str:
    return next((level.name for level in definition.rubric.levels if level.id == level_id), level_id)


def _decide(definition: CredentialDefinition, assessments: list[Assessment]) -> tuple[str, dict[str, str], tuple[str, ...]]:
    """(outcome, agreed scores, rows to improve) for one or two assessments."""
    results = [_outcome(definition, assessment.scores) for assessment in assessments]
    if all(result.passed for result in results):
        outcome = "pass"
    elif not any(result.passed for result in results):
        outcome = "resubmit"
    else:
        outcome = "needs-third-review"
    agreed = {row.id: max((a.scores[row.id] for a in assessments), key=definition.level_rank) for row in definition.rubric.rows}
    below = {row_id for result in results if not result.passed for row_id in result.rows_below}
    improve = tuple(row.id for row in definition.rubric.rows if row.id in below) if outcome == "resubmit" else ()
    return outcome, agreed, improve


def _assessment(definition: CredentialDefinition, *, reviewer: str, reviewed: date, scores: dict[str, str],
                feedback: dict[str, str] | None, summary: str | None, prefix: FieldPath = ()) -> Assessment:
    feedback = {key: text.strip() for key, text in (feedback or {}).items() if text and text.strip()}
    problems = _check_scores(definition, scores, feedback, _unlocated("review"), require_feedback=True, prefix=prefix)
    name = " ".join(str(reviewer or "").split())
    if not name or len(name) > 120:
        problems.insert(0, ReviewError("give the reviewer's name (at most 120 characters)", location=Location("review", None, "reviewer")))
    if not isinstance(reviewed, date):
        problems.append(ReviewError("the review date must be a date", location=Location("review", None, "reviewed")))
    if problems:
        raise ValidationError(problems)
    ordered_scores = {row.id: scores[row.id] for row in definition.rubric.rows}
    ordered_feedback = {row.id: feedback[row.id] for row in definition.rubric.rows if row.id in feedback}
    return Assessment(reviewer=name, reviewed=reviewed, scores=ordered_scores, feedback=ordered_feedback,
                      summary=(summary or "").strip() or None)


def review_submission(
    submission: Submission,
    definition: CredentialDefinition,
    *,
    reviewer: str,
    reviewed: date,
    scores: dict[str, str],
    feedback: dict[str, str] | None = None,
    summary: str | None = None,
    previous_review: str | None = None,
) -> Review:
    """Record one reviewer's scores and feedback for ``submission`` and apply the passing rule.

    Every rubric row needs a level; rows below the passing level need written feedback (the teacher
    has to know what to improve). ``previous_review`` is the id (``<submission-id>/review-<n>``) of the
    review this one follows: the earlier submission's, for a resubmission.
    """
    if submission.credential_id != definition.id:
        raise ReviewError(f"the submission is for '{submission.credential_id}', not '{definition.id}'",
                          location=Location(submission.source or "submission", None, "credential"))
    if previous_review is not None and not re.fullmatch(REVIEW_ID_PATTERN, previous_review):
        raise ReviewError(f"'{previous_review}' is not a review id (<submission-id>/review-<n>)",
                          location=Location("review", None, "previous_review"))
    first = _assessment(definition, reviewer=reviewer, reviewed=reviewed, scores=scores, feedback=feedback, summary=summary)
    outcome, agreed, improve = _decide(definition, [first])
    return Review(submission_id=submission.id, credential_id=definition.id, credential_version=definition.version, first=first,
                  outcome=outcome, scores=agreed, rows_to_improve=improve, previous_review=previous_review)  # type: ignore[arg-type]


def add_second_review(
    review: Review,
    definition: CredentialDefinition,
    *,
    reviewer: str,
    reviewed: date,
    scores: dict[str, str],
    feedback: dict[str, str] | None = None,
    summary: str | None = None,
) -> Review:
    """Add a second, independent (blind) review: the outcome is ``pass`` only when both pass,
    ``resubmit`` when neither does, ``needs-third-review`` when they disagree."""
    if review.second is not None:
        raise ReviewError(f"review {review.id or ''} already has a second review by {review.second.reviewer}".replace("  ", " "),
                          location=Location(str(review.path or "review"), None, "second_review"))
    if review.credential_id != definition.id:
        raise ReviewError(f"the review is for '{review.credential_id}', not '{definition.id}'",
                          location=Location(str(review.path or "review"), None, "credential"))
    if " ".join(reviewer.split()).casefold() == review.first.reviewer.casefold():
        raise ReviewError("the second reviewer must be someone other than the first reviewer",
                          location=Location("review", None, "second_review.reviewer"))
    second = _assessment(definition, reviewer=reviewer, reviewed=reviewed, scores=scores, feedback=feedback, summary=summary,
                         prefix=("second_review",))
    outcome, agreed, improve = _decide(definition, [review.first, second])
    return dataclasses.replace(review, second=second, outcome=outcome, scores=agreed, rows_to_improve=improve,  # type: ignore[arg-type]
                               credential_version=definition.version, id=None, path=None)


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _AssessmentFile(_Model):
    reviewer: PersonName
    reviewed: IsoDate
    scores: dict[Slug, Slug]
    feedback: Feedback = {}
    summary: OptionalText = None


class _ReviewFile(_Model):
    format: Literal[1]
    submission: SubmissionId
    credential: Slug
    credential_version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+(\.\d+)?$")]
    reviewer: PersonName
    reviewed: IsoDate
    scores: dict[Slug, Slug]
    feedback: Feedback = {}
    summary: OptionalText = None
    previous_review: Annotated[ReviewId | None, BeforeValidator(_blank_to_none)] = None
    second_review: _AssessmentFile | None = None
    agreed_scores: dict[Slug, Slug] | None = None
    outcome: Literal["pass", "resubmit", "needs-third-review"]
    rows_to_improve: list[Slug] = []


class _ScoresFile(_Model):
    format: Literal[1] = 1
    scores: dict[Slug, Slug]
    feedback: Feedback = {}
    summary: OptionalText = None


_KNOWN_FIELDS = set(_ReviewFile.model_fields) | set(_AssessmentFile.model_fields)


def load_review(path: Path | str, catalog: Catalog | None = None, *, display: str | None = None) -> Review:
    """Load a review file. With ``catalog``, also check its scores against the rubric and that the
    recorded outcome is what the passing rule gives (a hand-edited ``outcome: pass`` is refused).

    Raises :class:`ValidationError` of :class:`ReviewError` (``file:line: field: message``).
    """
    path = Path(path)
    document = load_yaml(path, display or str(path))

    def locate(field_path: FieldPath) -> Location:
        return Location(document.display_name, document.line_of(field_path), dotted(field_path) or None)

    if not isinstance(document.data, dict):
        raise ReviewError("expected a review (key: value lines)", location=Location(document.display_name, 1))
    try:
        parsed = _ReviewFile.model_validate(document.data)
    except PydanticValidationError as error:
        raise ValidationError(located_problems(error, locate, ReviewError, _KNOWN_FIELDS)) from None

    problems: list[CredfolioError] = []
    if parsed.second_review is not None and parsed.agreed_scores is None:
        problems.append(ReviewError("required with a second_review (per row, the level both reviewers agree on)",
                                    location=Location(document.display_name, document.line_of(("second_review",)), "agreed_scores")))
    if parsed.second_review is None and (parsed.agreed_scores is not None or parsed.outcome == "needs-third-review"):
        field_name = "agreed_scores" if parsed.agreed_scores is not None else "outcome"
        problems.append(ReviewError("only a review with a second_review can have this", location=locate((field_name,))))
    if parsed.outcome != "resubmit" and parsed.rows_to_improve:
        problems.append(ReviewError(f"only a 'resubmit' outcome lists rows to improve (outcome is '{parsed.outcome}')",
                                    location=locate(("rows_to_improve",))))
    if problems:
        raise ValidationError(problems)

    first = Assessment(parsed.reviewer, parsed.reviewed, dict(parsed.scores), dict(parsed.feedback), parsed.summary)
    second = None
    if parsed.second_review is not None:
        s = parsed.second_review
        second = Assessment(s.reviewer, s.reviewed, dict(s.scores), dict(s.feedback), s.summary)
    match = _REVIEW_FILE.match(path.name)
    review = Review(
        submission_id=parsed.submission,
        credential_id=parsed.credential,
        credential_version=parsed.credential_version,
        first=first,
        outcome=parsed.outcome,
        scores=dict(parsed.agreed_scores if parsed.agreed_scores is not None else parsed.scores),
        rows_to_improve=tuple(parsed.rows_to_improve),
        second=second,
        previous_review=parsed.previous_review,
        id=f"{path.parent.name}/review-{match[1]}" if match and re.fullmatch(SLUG_PATTERN, path.parent.name) else None,
        path=path,
    )
    if catalog is not None:
        _check_against_catalog(review, catalog, locate)
    return review


def _check_against_catalog(review: Review, catalog: Catalog, locate: Locator) -> None:
    definition = catalog.credentials.get(review.credential_id)
    if definition is None:
        raise ReviewError(f"no credential '{review.credential_id}' in the catalog", location=locate(("credential",)))
    if definition.version != review.credential_version:
        return  # reviewed against an earlier rubric: the recorded outcome stands (git history has that rubric)
    problems = _check_scores(definition, review.first.scores, review.first.feedback, locate, require_feedback=False)
    if review.second:
        problems += _check_scores(definition, review.second.scores, review.second.feedback, locate, require_feedback=False,
                                  prefix=("second_review",))
    if problems:
        raise ValidationError(problems)
    outcome, agreed, improve = _decide(definition, list(review.assessments))
    if outcome != review.outcome:
        raise ReviewError(f"the file says '{review.outcome}' but the scores give '{outcome}' under the passing rule "
                          f"({definition.passing_rule_text()})", location=locate(("outcome",)))
    if review.second and agreed != review.scores:
        raise ReviewError("does not match the lower of the two reviewers' levels per row", location=locate(("agreed_scores",)))
    if improve != review.rows_to_improve:
        raise ReviewError(f"should be [{', '.join(improve)}]", location=locate(("rows_to_improve",)))


def load_scores_file(path: Path | str, definition: CredentialDefinition) -> ScoresInput:
    """Read a ``--scores`` file (``scores: {row: level}``, ``feedback: {row: text}``, ``summary: text``)
    and check it against the rubric, naming file, line and field for every problem."""
    path = Path(path)
    document = load_yaml(path, str(path))

    def locate(field_path: FieldPath) -> Location:
        return Location(document.display_name, document.line_of(field_path), dotted(field_path) or None)

    if not isinstance(document.data, dict):
        raise ReviewError("expected scores:, feedback: and summary:", location=Location(document.display_name, 1))
    try:
        parsed = _ScoresFile.model_validate(document.data)
    except PydanticValidationError as error:
        raise ValidationError(located_problems(error, locate, ReviewError, set(_ScoresFile.model_fields))) from None
    problems = _check_scores(definition, dict(parsed.scores), dict(parsed.feedback), locate, require_feedback=True)
    if problems:
        raise ValidationError(problems)
    return ScoresInput(dict(parsed.scores), dict(parsed.feedback), parsed.summary)


def review_folder(private_dir: Path, credential_id: str, submission_id: str) -> Path:
    """``<private>/reviews/<credential>/<submission-id>/``: the reviews and letters of one submission."""
    return Path(private_dir) / REVIEWS_DIR / credential_id / submission_id


def find_reviews(private_dir: Path, credential_id: str, submission_id: str) -> list[Path]:
    """Review files of one submission, oldest first (``review-1.yml``, ``review-2.yml``…)."""
    folder = review_folder(private_dir, credential_id, submission_id)
    if not folder.is_dir():
        return []
    numbered = [(int(match[1]), path) for path in folder.iterdir() if (match := _REVIEW_FILE.match(path.name))]
    return [path for _, path in sorted(numbered)]


def latest_review(private_dir: Path, credential_id: str, submission_id: str, catalog: Catalog | None = None) -> Review | None:
    """The latest review of a submission (the decision that counts), or ``None`` when there is none."""
    paths = find_reviews(private_dir, credential_id, submission_id)
    return load_review(paths[-1], catalog) if paths else None


def save_review(review: Review, private_dir: Path) -> Path:
    """Write ``review`` as the next ``review-<n>.yml`` of its submission; never overwrites an earlier review."""
    folder = review_folder(private_dir, review.credential_id, review.submission_id)
    existing = find_reviews(private_dir, review.credential_id, review.submission_id)
    number = int(_REVIEW_FILE.match(existing[-1].name)[1]) + 1 if existing else 1  # type: ignore[index]
    text = to_yaml(review)
    for attempt in range(number, number + 1000):
        path = folder / f"review-{attempt}.yml"
        try:
            write_new_file(path, text, private=True)
        except FileExistsError:
            continue  # another reviewer saved at the same moment: take the next number
        return path
    raise ReviewError("could not find a free review number", location=Location(str(folder)))


def save_feedback_letter(review_path: Path, markdown: str, html: str) -> tuple[Path, Path]:
    """Write the letter next to its review (``review-<n>.md`` and ``.html``); never overwrites."""
    review_path = Path(review_path)
    paths = (review_path.with_suffix(".md"), review_path.with_suffix(".html"))
    for path, text in zip(paths, (markdown, html)):
        try:
            write_new_file(path, text, private=True)
        except FileExistsError:
            raise ReviewError("a feedback letter already exists here", location=Location(str(path))) from None
    return paths


def previous_review_id(submission: Submission, private_dir: Path) -> str | None:
    """For a resubmission, the id of the latest review of the earlier submission (``None`` when there is none)."""
    if not submission.resubmission_of:
        return None
    paths = find_reviews(private_dir, submission.credential_id, submission.resubmission_of)
    return f"{submission.resubmission_of}/{paths[-1].stem}" if paths else None


# --------------------------------------------------------------------------------------------------
# Interactive review support (the CLI asks; this module only describes what to ask)
# --------------------------------------------------------------------------------------------------


def rubric_prompts(definition: CredentialDefinition, submission: Submission) -> list[RowPrompt]:
    """One prompt per rubric row: the criterion, every level with its descriptor, and the evidence scored by it."""
    prompts = []
    for row in definition.rubric.rows:
        evidence: list[str] = []
        for artifact in definition.submission.artifacts:
            if row.id in artifact.rubric_rows and artifact.id in submission.artifacts:
                item = submission.artifacts[artifact.id]
                evidence.append(f"artifact '{artifact.title}': {item.url}" + (f" ({item.note})" if item.note else ""))
        for prompt in definition.submission.reflection:
            if row.id in prompt.rubric_rows and prompt.id in submission.reflection:
                evidence.append(f"reflection '{prompt.id}': {count_words(submission.reflection[prompt.id])} words")
        prompts.append(RowPrompt(
            row_id=row.id,
            criterion=row.criterion,
            levels=tuple((level.id, level.name, row.descriptors.get(level.id, "")) for level in definition.rubric.levels),
            minimum_level=definition.rubric.passing.minimum_level,
            minimum_name=_level_name(definition, definition.rubric.passing.minimum_level),
            evidence=tuple(evidence),
        ))
    return prompts


# --------------------------------------------------------------------------------------------------
# Feedback letter
# --------------------------------------------------------------------------------------------------

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def _long_date(value: date) -> str:
    # fixed English month names: the letter must not depend on the reviewer's machine locale
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def _markdown_text(value: Any) -> str:
    """Text a person typed, shown literally in Markdown (no HTML, links or headings); line breaks kept."""
    return "  \n".join(escape_markdown(line) for line in str(value).splitlines())


def _markdown_cell(value: Any) -> str:
    """Like :func:`_markdown_text`, inside one table cell: pipes escaped, line breaks as ``<br>``."""
    return "<br>".join(escape_markdown(line).replace("|", "\\|") for line in str(value).splitlines()) or " "


def _markdown_environment(district_root: Path):
    """Markdown letters: district overrides (``overrides/credfolio/review/``) first, escaping by explicit filters."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

    loaders = []
    if (district_root / OVERRIDES_DIR).is_dir():
        loaders.append(FileSystemLoader(str(district_root / OVERRIDES_DIR)))
    loaders.append(PackageLoader("credfolio", "templates"))
    environment = Environment(loader=ChoiceLoader(loaders), autoescape=False, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters["md"] = _markdown_text
    environment.filters["md_cell"] = _markdown_cell
    return environment


def letter_context(review: Review, submission: Submission, definition: CredentialDefinition, district: DistrictConfig) -> dict[str, Any]:
    """Everything the letter templates show, as plain data (overridable templates need nothing else)."""
    if review.submission_id != submission.id or review.credential_id != definition.id:
        raise ReviewError(f"review of '{review.submission_id}' does not belong to submission '{submission.id}'",
                          location=Location(str(review.path or "review"), None, "submission"))
    double = review.second is not None
    labels = ["Reviewer 1", "Reviewer 2"] if double else [review.first.reviewer]
    minimum = definition.rubric.passing.minimum_level
    rows = []
    for row in definition.rubric.rows:
        rows.append({
            "id": row.id,
            "criterion": row.criterion,
            "level": _level_name(definition, review.scores.get(row.id, "")),
            "below": definition.level_rank(review.scores[row.id]) > definition.level_rank(minimum) if row.id in review.scores else False,
            "assessments": [{"label": label, "level": _level_name(definition, a.scores.get(row.id, "")),
                             "feedback": a.feedback.get(row.id, "")} for label, a in zip(labels, review.assessments)],
        })
    improve = [{
        "criterion": row["criterion"],
        "level": row["level"],
        "target": _level_name(definition, minimum),
        "descriptor": next(r.descriptors.get(minimum, "") for r in definition.rubric.rows if r.id == row["id"]),
    } for row in rows if row["id"] in review.rows_to_improve]
    summaries = [{"label": label, "text": a.summary} for label, a in zip(labels, review.assessments) if a.summary]
    return {
        "district": district.name,
        "contact_email": district.settings.contact_email,
        "primary_color": district.settings.colors.primary,
        "teacher": submission.teacher.name,
        "credential_title": definition.title,
        "credential_id": definition.id,
        "credential_version": review.credential_version,
        "submission_id": submission.id,
        "submitted": _long_date(submission.submitted),
        "reviewed": _long_date(review.reviewed),
        "review_id": review.id,
        "outcome": review.outcome,
        "outcome_label": {"pass": "Passed", "resubmit": "Not yet - please resubmit",
                          "needs-third-review": "Under further review"}[review.outcome],
        "passing_rule": definition.passing_rule_text(),
        "double_review": double,
        "reviewers": labels,
        "rows": rows,
        "improve": improve,
        "summaries": summaries,
        "resubmission_of": submission.resubmission_of,
        "previous_review": review.previous_review,
        "hours": f"{definition.hours:g}",
    }


def feedback_letter(review: Review, submission: Submission, definition: CredentialDefinition,
                    district: DistrictConfig) -> tuple[str, str]:
    """The feedback letter to the teacher as ``(markdown, html)``.

    It names the teacher, the credential, the dates and the outcome, states the passing rule, has a
    table row per rubric criterion with the level reached and the reviewer's feedback, lists for a
    resubmission the rows to improve with the descriptor of the passing level, and ends with the next
    steps. The HTML is a standalone printable page (inline print CSS, no external assets; Jinja
    autoescaping); the Markdown escapes HTML, links and table pipes. A district overrides the templates
    with ``overrides/credfolio/review/letter.md`` and ``letter.html``.
    """
    context = letter_context(review, submission, definition, district)
    markdown = _markdown_environment(Path(district.root)).get_template("review/letter.md").render(context)
    html = template_environment(district.root).get_template("review/letter.html").render(context)
    return markdown, html
