"""District configuration: one place, ``extra.credfolio`` in the district's ``mkdocs.yml``.

The site URL is MkDocs' own top-level ``site_url``; the issuer DID is derived from it
(``https://host/path/`` → ``did:web:host:path``), so the DID can never disagree with the site.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from credfolio.errors import ConfigError, Location, ValidationError
from credfolio.yamlfile import dotted, read_text

CONFIG_FILE = "mkdocs.yml"
#: The district format this credfolio reads and writes (``extra.credfolio.format``; missing means 1).
#: A district in an older format needs ``credfolio migrate``; a newer one needs a newer credfolio.
DISTRICT_FORMAT = 1
HexColor = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s<>\"'`]+$", max_length=500)]


class Colors(BaseModel):
    """Brand colours used by the generated pages (WCAG AA contrast is checked by the accessibility tests)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    primary: HexColor = Field("#1f4e79", description="Header and link colour.")
    accent: HexColor = Field("#b35c00", description="Highlights and buttons.")


class DistrictSettings(BaseModel):
    """``extra.credfolio`` in mkdocs.yml."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    format: Literal[1] = Field(1, description="Configuration format version.")
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = Field(
        None, description="District name; defaults to site_name."
    )
    short_name: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(None, description="Short name for cards.")
    description: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, description="One-line issuer description.")
    contact_email: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.!#$&*+/=^_{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")] | None = Field(
        None, description="A role address (not a person's) for questions about credentials; a plain ASCII address (no display name, quotes, brackets or ?; a non-ASCII domain in its xn-- form)."
    )
    logo: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_./-]+\.(png|svg)$")] | None = Field(
        None, description="Logo path relative to docs/."
    )
    linkedin_organization_id: Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")] | None = Field(
        None, description="Numeric LinkedIn page id, so added certifications show the district's logo."
    )
    colors: Colors = Field(default_factory=Colors, description="Brand colours.")
    catalog_dir: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$")] = Field("catalog", description="Catalog folder.")
    wallet_dir: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$")] = Field("wallet", description="Wallet folder.")
    stack_badges: Literal["auto", "manual"] = Field("auto", description="Issue stack badges automatically on completion.")
    private_dir: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        None,
        description="Folder for submissions, reviews and recipients' e-mail addresses — never inside the repository. "
        "Default: $CREDFOLIO_PRIVATE_DIR, else ~/credfolio-private/ followed by the repository folder name.",
    )


@dataclass(frozen=True)
class DistrictConfig:
    """Everything credfolio needs to know about a district, resolved from mkdocs.yml."""

    root: Path
    site_url: str
    site_name: str
    settings: DistrictSettings

    @property
    def name(self) -> str:
        """District display name."""
        return self.settings.name or self.site_name

    @property
    def issuer_did(self) -> str:
        """The district's did:web, derived from ``site_url``."""
        from credfolio.keys import did_web_from_site_url

        return did_web_from_site_url(self.site_url)

    @property
    def catalog_path(self) -> Path:
        """Folder of the catalog YAML files."""
        return self.root / self.settings.catalog_dir

    @property
    def wallet_path(self) -> Path:
        """Folder of teachers and badges."""
        return self.root / self.settings.wallet_dir

    @property
    def private_path(self) -> Path:
        """Where personal data lives (submissions, reviews, recipients); refused when inside the repository."""
        configured = self.settings.private_dir or os.environ.get("CREDFOLIO_PRIVATE_DIR")
        if configured:
            path = Path(os.path.expanduser(configured))
            if not path.is_absolute():
                path = (self.root / path).resolve()
        else:
            path = Path.home() / "credfolio-private" / self.root.resolve().name
        root = self.root.resolve()
        resolved = path.resolve()
        if resolved == root or root in resolved.parents:
            raise ConfigError(
                f"private_dir {path} is inside the district repository; personal data must live outside it",
                location=Location(CONFIG_FILE, None, "extra.credfolio.private_dir"),
            )
        return resolved

    def url(self, path: str = "") -> str:
        """Absolute https URL of a site path (``catalog/talk-moves/`` → ``https://…/catalog/talk-moves/``)."""
        return self.site_url + path.lstrip("/")


class _MkDocsLoader(yaml.SafeLoader):
    """Safe loader for mkdocs.yml: MkDocs-specific tags (``!ENV``, ``!!python/name:`` …) become inert strings.

    credfolio never executes them; MkDocs itself interprets them at build time.
    """


def _inert_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> str:
    return f"<tag {tag_suffix}>"


_MkDocsLoader.add_multi_constructor("!", _inert_tag)
_MkDocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", _inert_tag)


def load_district(district_dir: Path | str = ".") -> DistrictConfig:
    """Read ``mkdocs.yml`` in ``district_dir`` and return the validated :class:`DistrictConfig`."""
    root = Path(district_dir)
    path = root / CONFIG_FILE
    if not path.exists():
        raise ConfigError(f"no {CONFIG_FILE} here; run credfolio in a district folder or pass --district", location=Location(str(path)))
    text = read_text(path, CONFIG_FILE, max_bytes=1024 * 1024)
    try:
        raw = yaml.load(text, Loader=_MkDocsLoader)  # noqa: S506 - safe loader subclass with inert tags
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise ConfigError(f"YAML syntax error: {error.problem}", location=Location(CONFIG_FILE, mark.line + 1 if mark else None)) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"YAML error: {error}".splitlines()[0], location=Location(CONFIG_FILE)) from None
    except RecursionError:
        raise ConfigError("YAML is nested too deeply", location=Location(CONFIG_FILE)) from None
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping at the top level", location=Location(CONFIG_FILE, 1))
    lines = _top_level_lines(text)
    site_url = raw.get("site_url")
    if not isinstance(site_url, str) or not site_url.startswith("https://"):
        raise ConfigError(
            "site_url must be the https address where the district site is published, e.g. https://<owner>.github.io/<repo>/",
            location=Location(CONFIG_FILE, lines.get("site_url"), "site_url"),
        )
    if not site_url.endswith("/"):
        site_url += "/"
    extra = raw.get("extra") or {}
    settings_raw = extra.get("credfolio", {}) if isinstance(extra, dict) else {}
    if settings_raw is None:
        settings_raw = {}
    line = lines.get("extra")
    if isinstance(settings_raw, dict):
        _check_format(settings_raw.get("format", DISTRICT_FORMAT), line)
    try:
        settings = DistrictSettings.model_validate(settings_raw)
    except PydanticValidationError as error:
        problems = [
            ConfigError(_settings_message(item), location=Location(CONFIG_FILE, line, "extra.credfolio." + dotted(tuple(item["loc"]))))
            for item in error.errors(include_url=False)
        ]
        raise ValidationError(problems) from None
    config = DistrictConfig(root=root, site_url=site_url, site_name=str(raw.get("site_name") or ""), settings=settings)
    try:
        config.issuer_did  # validates the site URL shape (no query, fragment, credentials)
    except ConfigError as error:
        raise ConfigError(error.message, location=Location(CONFIG_FILE, lines.get("site_url"), "site_url")) from None
    if not config.name:
        raise ConfigError("set site_name or extra.credfolio.name to the district's name", location=Location(CONFIG_FILE, 1, "site_name"))
    return config


def _check_format(value: object, line: int | None) -> None:
    """Refuse a district written for another format with the way out, instead of a bare type error."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value == DISTRICT_FORMAT:
        return  # the model reports anything that is not a whole number
    from credfolio import __version__

    location = Location(CONFIG_FILE, line, "extra.credfolio.format")
    if value > DISTRICT_FORMAT:
        raise ConfigError(f"format {value} is newer than credfolio {__version__} understands (format {DISTRICT_FORMAT}): "
                          "upgrade credfolio (python -m pip install --upgrade credfolio)", location=location)
    raise ConfigError(f"format {value} is older than credfolio {__version__} reads (format {DISTRICT_FORMAT}): "
                      "run `credfolio migrate` to update the district's files", location=location)


def _top_level_lines(text: str) -> dict[str, int]:
    """Line numbers of top-level keys, for error messages (a cheap scan; mkdocs.yml is small)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line and not line[0].isspace() and ":" in line and not line.startswith("#"):
            lines.setdefault(line.split(":", 1)[0].strip(), number)
    return lines


def settings_reference() -> list[tuple[str, str]]:
    """(field, description) pairs for the configuration reference page."""
    rows = [(f"extra.credfolio.{name}", info.description or "") for name, info in DistrictSettings.model_fields.items()]
    rows += [(f"extra.credfolio.colors.{name}", info.description or "") for name, info in Colors.model_fields.items()]
    return rows


#: What a field's pattern means, in words, for the one-line error (pydantic would print the regular expression).
_PATTERN_MEANINGS = {
    "contact_email": "is not a plain e-mail address such as professional.learning@district.org (no display name, quotes, brackets or ?)",
    "logo": "is not a .png or .svg path relative to docs/ (letters, digits, _ . / - only)",
    "linkedin_organization_id": "is not a numeric LinkedIn organization id",
}


def _settings_message(item: Any) -> str:
    """pydantic's message for one settings problem, with patterns explained instead of printed."""
    field_name = item["loc"][0] if item.get("loc") else None
    if item.get("type") == "string_pattern_mismatch" and field_name in _PATTERN_MEANINGS:
        return f"{item.get('input')!r} {_PATTERN_MEANINGS[field_name]}"
    return item["msg"]
