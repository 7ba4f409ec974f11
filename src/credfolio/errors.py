"""Typed errors raised by the credfolio library.

The library raises; only :mod:`credfolio.cli` turns these into one-line messages and exit codes.
Every error can name where it happened (file, line, field) so the message points a district
admin at the exact spot to fix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, an optional 1-based line and an optional dotted field path."""

    file: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
        return text


class CredfolioError(Exception):
    """Base of every error credfolio raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        prefix = str(self.location)
        if self.location.field:
            return f"{prefix}: {self.location.field}: {self.message}"
        return f"{prefix}: {self.message}"


class InputError(CredfolioError):
    """A file or argument a person supplied is malformed (YAML, CSV, JSON, CLI arguments)."""


class ValidationError(InputError):
    """One or more problems found while validating input; ``problems`` lists each one."""

    def __init__(self, problems: list[CredfolioError]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid input"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)

    def __str__(self) -> str:
        return self.message


class ConfigError(InputError):
    """The district configuration (``extra.credfolio`` in mkdocs.yml) is missing or invalid."""


class CatalogError(InputError):
    """A catalog or stacks file is invalid."""


class KeyStoreError(CredfolioError):
    """Key material is missing, unreadable, wrongly protected or in the wrong place."""


class ProofError(CredfolioError):
    """A Data Integrity proof could not be created or does not verify."""


class CanonicalizationError(ProofError):
    """A document cannot be canonicalized safely (unknown context, undefined term, control character)."""


class ResolutionError(CredfolioError):
    """A DID, verification method or status list could not be resolved."""


class CredentialError(CredfolioError):
    """A credential could not be built or is structurally invalid."""


class StatusError(CredfolioError):
    """A status list cannot be read, written or allocated."""


class IssuanceError(CredfolioError):
    """Reviewing, issuing or revoking a badge failed."""


class SiteError(CredfolioError):
    """Building the static site failed (for example a badge that does not verify)."""


class SubmissionError(InputError):
    """A teacher's submission (YAML file, CSV import, column mapping or issue form) is invalid."""


class ReviewError(InputError):
    """A review, its scores file or the rubric scores given interactively are invalid."""


class LedgerError(IssuanceError):
    """The issuance ledger (``wallet/ledger.jsonl``) is unreadable, inconsistent or locked by another run."""


class IssueInputError(InputError):
    """A bulk-issue CSV, an issue request or a teacher file is invalid (``file:line: column: reason``)."""


class BakingError(CredfolioError):
    """A badge image cannot be baked, or holds no (or a malformed, oversized, duplicated) embedded credential."""


class SynthError(InputError):
    """``credfolio synth`` was given arguments it cannot use (counts out of range, a folder that is not empty)."""

    exit_code = 64  # EX_USAGE, like click's own usage errors


class ScaffoldError(InputError):
    """``credfolio init`` cannot create a district: a bad name or site URL, or files that already exist."""


class MigrationError(CredfolioError):
    """A district cannot be migrated to the current format (dirty git tree, unknown format, failed step)."""


class ShardError(ConfigError):
    """``CREDFOLIO_SHARD`` is invalid, or the parts of a sharded build do not merge into one site."""
