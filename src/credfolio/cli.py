"""The ``credfolio`` command line: parses options, calls one library function, prints the result.

This is the single boundary where :class:`credfolio.errors.CredfolioError` becomes a one-line
message on stderr and an exit code. Library modules never print.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from credfolio import __version__
from credfolio.errors import CredfolioError, ValidationError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="credfolio")
def cli() -> None:
    """Publish, award and prove teacher micro-credentials from a git repository.

    Example: credfolio check --district .
    """


def _district_option(function):
    """``--district DIR`` (default: the current folder), shared by every command that reads a district."""
    return click.option(
        "--district",
        "district_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="Folder of the district repository (where mkdocs.yml is).",
    )(function)


@cli.command()
@_district_option
def check(district_dir: Path) -> None:
    """Validate the district config, every catalog file and the stacks.

    Prints one line per problem as `file:line: field: message` and exits 1; prints a one-line
    summary and exits 0 when everything is valid (warnings do not fail the check).

    Example: credfolio check --district .
    """
    from credfolio.catalog import load_catalog
    from credfolio.config import load_district

    config = load_district(district_dir)
    catalog = load_catalog(district_dir, config.settings.catalog_dir)
    for warning in catalog.warnings:
        click.echo(str(warning), err=True)
    counts = {status: sum(1 for c in catalog.credentials.values() if c.status == status) for status in ("active", "draft", "retired")}
    click.echo(
        f"ok: {config.name}: {len(catalog.credentials)} credentials "
        f"({counts['active']} active, {counts['draft']} draft, {counts['retired']} retired) in {len(catalog.stacks)} stacks, "
        f"{len(catalog.warnings)} warning{'s' if len(catalog.warnings) != 1 else ''}"
    )


def _report(error: CredfolioError) -> int:
    """Print an error (or each problem of a ValidationError) on one line each; return the exit code."""
    if isinstance(error, ValidationError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem{'s' if len(error.problems) != 1 else ''} found", err=True)
    else:
        click.echo(f"error: {error}", err=True)
    return error.exit_code


def main(argv: list[str] | None = None) -> int:
    """Entry point for the console script; returns the process exit code."""
    try:
        result = cli.main(args=argv, prog_name="credfolio", standalone_mode=False)
    except CredfolioError as error:
        return _report(error)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except (OSError, UnicodeError) as error:
        # A last line of defence: file-system errors outside the library's own checks still get one line.
        click.echo(f"error: {error}", err=True)
        return 1
    except Exception as error:  # noqa: BLE001 - the one place a bug becomes a message, not a traceback
        if os.environ.get("CREDFOLIO_DEBUG"):
            raise
        click.echo(f"internal error: {type(error).__name__}: {error} (rerun with CREDFOLIO_DEBUG=1 for details and report it)", err=True)
        return 70
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
