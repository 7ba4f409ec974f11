"""The ``credfolio`` command line: parses options, calls one library function, prints the result.

This is the single boundary where :class:`credfolio.errors.CredfolioError` becomes a one-line
message on stderr and an exit code. Library modules never print.
"""

from __future__ import annotations

import sys

import click

from credfolio import __version__
from credfolio.errors import CredfolioError, ValidationError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="credfolio")
def cli() -> None:
    """Publish, award and prove teacher micro-credentials from a git repository.

    Example: credfolio check --district .
    """


def _report(error: CredfolioError) -> int:
    """Print an error (or each problem of a ValidationError) on one line each; return the exit code."""
    if isinstance(error, ValidationError):
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
    else:
        click.echo(f"error: {error}", err=True)
    return error.exit_code


def main(argv: list[str] | None = None) -> int:
    """Entry point for the console script; returns the process exit code."""
    try:
        cli.main(args=argv, prog_name="credfolio", standalone_mode=False)
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
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
