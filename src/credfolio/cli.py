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
    from credfolio.keys import tracked_key_files
    from credfolio.site import brand_contrast_warnings

    config = load_district(district_dir)
    catalog = load_catalog(district_dir, config.settings.catalog_dir)
    warnings = [str(warning) for warning in catalog.warnings] + brand_contrast_warnings(config)
    warnings += [f"{path}: warning: a private key is tracked by git; remove it (git rm --cached {path}), keep keys outside "
                 "the repository, and if it was ever pushed treat it as compromised (credfolio keys compromise, then rotate)"
                 for path in tracked_key_files(config.root)]
    for warning in warnings:
        click.echo(warning, err=True)
    counts = {status: sum(1 for c in catalog.credentials.values() if c.status == status) for status in ("active", "draft", "retired")}
    click.echo(
        f"ok: {config.name}: {len(catalog.credentials)} credentials "
        f"({counts['active']} active, {counts['draft']} draft, {counts['retired']} retired) in {len(catalog.stacks)} stacks, "
        f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    )


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="The district's name, as badges and the site show it.")
@click.option("--site-url", required=True, help="Where the site will be published, e.g. https://<owner>.github.io/<repo>/.")
def init(directory: Path, name: str, site_url: str) -> None:
    """Start a new district repository in DIRECTORY: config, example catalog, wallet, hooks, workflow.

    Never overwrites a file: if any file it would create exists, it writes nothing. The issuer DID
    is derived from --site-url, so choose the address the site will keep.

    Example: credfolio init riverbend --name "Riverbend Unified School District" --site-url https://riverbend-usd.github.io/micro-credentials/
    """
    from credfolio.scaffold import init_district, next_steps

    result = init_district(directory, name=name, site_url=site_url)
    click.echo(f"created {result.root} ({len(result.files)} files) for {result.name}, issuer {result.issuer_did}")
    click.echo("next steps:")
    for number, step in enumerate(next_steps(result), start=1):
        click.echo(f"  {number}. {step}")


@cli.command()
@_district_option
@click.option("--force", is_flag=True, help="Migrate even when the git working tree has uncommitted changes.")
def migrate(district_dir: Path, force: bool) -> None:
    """Update the district's files (mkdocs.yml, catalog, wallet) to the format this credfolio reads.

    Run it after upgrading credfolio when `credfolio check` asks for it. It refuses to run on a git
    tree with uncommitted changes (unless --force), keeps a copy of every file it changes in
    .credfolio-backup/, and writes each file atomically.

    Example: credfolio migrate --district .
    """
    from datetime import UTC, datetime

    from credfolio.migrate import migrate_district

    result = migrate_district(district_dir, now=datetime.now(UTC), force=force)
    if result.already_current:
        click.echo(f"already at format {result.to_format}: nothing to migrate")
        return
    for step in result.steps:
        click.echo(f"format {step.from_format} → {step.to_format}: {step.summary}")
    click.echo(f"migrated from format {result.from_format} to {result.to_format}: changed {', '.join(result.changed)}")
    click.echo(f"the previous files are in {result.backup}")
    click.echo("next: credfolio check, review `git diff`, commit; then delete the backup folder")


# --- submissions and review -------------------------------------------------------------------------


def _district_and_catalog(district_dir: Path):
    from credfolio.catalog import load_catalog
    from credfolio.config import load_district

    config = load_district(district_dir)
    return config, load_catalog(district_dir, config.settings.catalog_dir)


def _evidence_dir(private_dir: Path) -> Path | None:
    from credfolio.submissions import EVIDENCE_DIR

    folder = private_dir / EVIDENCE_DIR
    return folder if folder.is_dir() else None


def _warn_if_published(path: Path, config) -> None:
    root, target = config.root.resolve(), path.resolve()
    if root in target.parents:
        click.echo(f"warning: {path} is inside the district repository, which is published; move it to the private folder "
                   f"{config.private_path} and make sure it was never committed", err=True)


@cli.group()
def submissions() -> None:
    """Teacher submissions: fillable templates, GitHub issue forms, CSV import, checks.

    Example: credfolio submissions check my-submission.yml
    """


@submissions.command("template")
@click.argument("credential_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this new file instead of printing.")
@_district_option
def submissions_template(credential_id: str, out: Path | None, district_dir: Path) -> None:
    """Print the fillable submission file for one credential (questions, word limits, artifact slots).

    Example: credfolio submissions template wait-time --out wait-time-submission.yml
    """
    import difflib

    from credfolio.errors import Location, SubmissionError
    from credfolio.submissions import submission_template, write_new_file

    config, catalog = _district_and_catalog(district_dir)
    definition = catalog.credentials.get(credential_id)
    if definition is None or not definition.is_offered:
        hint = difflib.get_close_matches(credential_id, [c.id for c in catalog.active], n=1)
        why = "is not in the catalog" if definition is None else f"is {definition.status} and does not accept submissions"
        raise SubmissionError(f"credential '{credential_id}' {why}" + (f" (did you mean '{hint[0]}'?)" if hint else ""))
    text = submission_template(definition, config)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        write_new_file(out, text, private=False)
    except FileExistsError:
        raise SubmissionError("already exists (it may hold answers); choose another file name", location=Location(str(out))) from None
    click.echo(f"wrote {out}")


@submissions.command("forms")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path(".github/ISSUE_TEMPLATE"), show_default=True,
              help="Issue template folder of your PRIVATE submissions repository.")
@_district_option
def submissions_forms(out: Path, district_dir: Path) -> None:
    """Write a GitHub issue form per active credential, for a PRIVATE submissions repository.

    Issues in a public repository are public, so writing the forms into the (published) district
    repository is refused: run this inside your private submissions repository.

    Example: cd ../submissions && credfolio submissions forms --district ../micro-credentials
    """
    from credfolio.errors import Location, SubmissionError
    from credfolio.submissions import generate_issue_forms

    config, catalog = _district_and_catalog(district_dir)
    root, target = config.root.resolve(), out.resolve()
    if target == root or root in target.parents:
        raise SubmissionError("the district repository is published and issues filed there would be public: run this in your "
                              "private submissions repository, or pass --out", location=Location(str(out)))
    paths = generate_issue_forms(catalog, out, config)
    click.echo(f"wrote {len(paths) - 1} issue form{'s' if len(paths) != 2 else ''} and config.yml to {out} "
               "(use them only in a private repository)")


@submissions.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--map", "mapping_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="YAML mapping of submission fields to the CSV's column headers.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and list the invalid ones (default: import nothing).")
@_district_option
def submissions_import(csv_file: Path, mapping_file: Path, skip_invalid: bool, district_dir: Path) -> None:
    """Import a Google/Microsoft Forms CSV export into the private folder, one file per response.

    Every bad row is reported as `file:line: column: reason`; nothing is written until all rows are
    valid (unless --skip-invalid). Importing the same export again adds nothing.

    Example: credfolio submissions import responses.csv --map form-mapping.yml
    """
    from credfolio.submissions import SUBMISSIONS_DIR, import_csv

    config, catalog = _district_and_catalog(district_dir)
    report = import_csv(csv_file, mapping_file, catalog, config.private_path, skip_invalid=skip_invalid)
    for problem in report.skipped:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(f"{len(report.written)} new, {len(report.already_imported)} already imported, {len(report.skipped)} skipped "
               f"of {report.rows} rows; submissions are in {config.private_path / SUBMISSIONS_DIR}")


@submissions.command("import-issue")
@click.argument("body_file", type=click.File("r", encoding="utf-8"))
@click.option("--date", "opened", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date the issue was opened (default: today).")
@_district_option
def submissions_import_issue(body_file, opened, district_dir: Path) -> None:
    """Store a submission filed with one of the issue forms (its Markdown body; - reads stdin).

    Example: gh issue view 12 --json body -q .body | credfolio submissions import-issue - --date 2025-03-14
    """
    from datetime import date

    from credfolio.submissions import store_submission, submission_from_issue

    config, catalog = _district_and_catalog(district_dir)
    body = body_file.read(2 * 1024 * 1024)
    submission = submission_from_issue(body, catalog, submitted=opened.date() if opened else date.today(),
                                       display=getattr(body_file, "name", "issue"), today=date.today())
    path = store_submission(submission, config.private_path)
    click.echo(f"stored {submission.id} in {path}")


@submissions.command("check")
@click.argument("submission_file", type=click.Path(dir_okay=False, path_type=Path))
@_district_option
def submissions_check(submission_file: Path, district_dir: Path) -> None:
    """Check a submission file and count the words of every answer.

    Exits 1 when the file is invalid or an answer is over its word limit (limits are a guide for the
    teacher; reviewers still accept longer answers).

    Example: credfolio submissions check my-submission.yml --district ../micro-credentials
    """
    from datetime import date

    from credfolio.submissions import load_submission, word_counts

    config, catalog = _district_and_catalog(district_dir)
    _warn_if_published(submission_file, config)
    submission = load_submission(submission_file, catalog, today=date.today(), evidence_dir=_evidence_dir(config.private_path))
    for warning in submission.warnings:
        click.echo(str(warning), err=True)
    definition = catalog.credentials[submission.credential_id]
    click.echo(f"ok: {submission.id}: {definition.title} by {submission.teacher.name}")
    counts = word_counts(submission, definition)
    for count in counts:
        click.echo(f"  {count}")
    over = [count for count in counts if count.over]
    if over:
        click.echo(f"{len(over)} answer{'s are' if len(over) != 1 else ' is'} over the word limit: shorten "
                   f"{'them' if len(over) != 1 else 'it'} before you submit (limits are a guide)", err=True)
        click.get_current_context().exit(1)


def _ask_scores(definition, submission):
    """Interactive review: one prompt per rubric row (bad input re-prompts), then a summary."""
    from credfolio.review import ScoresInput, rubric_prompts

    scores: dict[str, str] = {}
    feedback: dict[str, str] = {}
    prompts = rubric_prompts(definition, submission)
    for number, row in enumerate(prompts, start=1):
        click.echo(f"\n[{number}/{len(prompts)}] {row.criterion}")
        for line in row.evidence:
            click.echo(f"  evidence: {line}")
        for level_id, name, descriptor in row.levels:
            click.echo(f"  {level_id:<16} {name}: {descriptor}")
        level_ids = [level[0] for level in row.levels]
        scores[row.row_id] = click.prompt("  level", type=click.Choice(level_ids, case_sensitive=False))
        below = level_ids.index(scores[row.row_id]) > level_ids.index(row.minimum_level)
        while True:
            text = click.prompt("  feedback" + (" (required)" if below else " (Enter to skip)"), default="", show_default=False)
            if text.strip() or not below:
                break
            click.echo(f"  feedback is required for a row below {row.minimum_name}", err=True)
        if text.strip():
            feedback[row.row_id] = text.strip()
    summary = click.prompt("\nsummary for the teacher (Enter to skip)", default="", show_default=False)
    return ScoresInput(scores, feedback, summary.strip() or None)


@cli.command()
@click.argument("submission_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reviewer", required=True, help="Your name, as recorded in the review.")
@click.option("--scores", "scores_file", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML with scores: {row: level}, feedback: {row: text}, summary: text (no prompts).")
@click.option("--second", is_flag=True, help="Record the second, blind review; the first review's scores are not shown.")
@click.option("--date", "reviewed", type=click.DateTime(formats=["%Y-%m-%d"]), help="Review date (default: today).")
@_district_option
def review(submission_file: Path, reviewer: str, scores_file: Path | None, second: bool, reviewed, district_dir: Path) -> None:
    """Score a submission against its rubric and write the review and the feedback letter.

    Without --scores, asks for the level and feedback of each rubric row. Writes review-<n>.yml and
    the letter (review-<n>.md, review-<n>.html) into the private folder and prints the outcome.

    Example: credfolio review submissions/wait-time/2025-03-14-ana-lopez-wait-time.yml --reviewer "Dana Ruiz"
    """
    from datetime import date

    from credfolio import review as reviewing
    from credfolio.errors import Location, ReviewError
    from credfolio.submissions import load_submission, store_submission

    config, catalog = _district_and_catalog(district_dir)
    private = config.private_path
    _warn_if_published(submission_file, config)
    submission = load_submission(submission_file, catalog, allow_retired=True, evidence_dir=_evidence_dir(private))
    definition = catalog.credentials[submission.credential_id]
    for warning in submission.warnings:
        click.echo(str(warning), err=True)
    latest = reviewing.latest_review(private, definition.id, submission.id)
    where = Location(str(submission_file))
    if second and (latest is None or latest.second is not None):
        raise ReviewError("no first review to add a second review to" if latest is None else
                          f"{latest.path} already has a second review", location=where)
    if not second and latest is not None and latest.outcome != "needs-third-review":
        raise ReviewError(f"already reviewed in {latest.path} ({latest.outcome}); use --second for a blind second review",
                          location=where)
    if not second and latest is not None and " ".join(reviewer.split()).casefold() in [r.casefold() for r in latest.reviewers]:
        raise ReviewError("the third review must be by someone who has not reviewed this submission", location=where)
    # scores first: a bad scores file (or an aborted prompt) must leave the private folder as it was
    answers = reviewing.load_scores_file(scores_file, definition) if scores_file else _ask_scores(definition, submission)
    store_submission(submission, private)
    when = reviewed.date() if reviewed else date.today()
    if second:
        result = reviewing.add_second_review(latest, definition, reviewer=reviewer, reviewed=when, scores=answers.scores,
                                             feedback=answers.feedback, summary=answers.summary)
    else:
        previous = latest.id if latest is not None else reviewing.previous_review_id(submission, private)
        result = reviewing.review_submission(submission, definition, reviewer=reviewer, reviewed=when, scores=answers.scores,
                                             feedback=answers.feedback, summary=answers.summary, previous_review=previous)
    path = reviewing.save_review(result, private)
    saved = reviewing.load_review(path, catalog)
    markdown, html = reviewing.feedback_letter(saved, submission, definition, config)
    letter_md, letter_html = reviewing.save_feedback_letter(path, markdown, html)
    improve = f" (improve: {', '.join(saved.rows_to_improve)})" if saved.rows_to_improve else ""
    click.echo(f"\noutcome: {saved.outcome}{improve}")
    click.echo(f"review: {path}")
    click.echo(f"letter: {letter_md}")
    click.echo(f"letter: {letter_html}")


# --- keys and verify (issue #5: signing core) ---------------------------------------------------------


def _key_store_options(function):
    """``--keys-dir`` and ``--district``, shared by the ``keys`` commands."""
    function = click.option(
        "--keys-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="CREDFOLIO_KEY_DIR",
        help="Folder of the key store, outside any repository [default: $CREDFOLIO_KEY_DIR, else ~/.config/credfolio/keys].",
    )(function)
    return _district_option(function)


def _passphrase_options(function):
    """``--passphrase-file FILE`` or ``--passphrase`` (prompt), for commands that create private keys."""
    function = click.option("--passphrase", "prompt_passphrase", is_flag=True, help="Ask for a passphrase to encrypt the new private key.")(function)
    return click.option(
        "--passphrase-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Read the passphrase from the first line of this file."
    )(function)


def _open_key_store(district_dir: Path, keys_dir: Path | None):
    """The district's DID and its key store (never inside the district repository)."""
    from credfolio.config import load_district
    from credfolio.keys import KeyStore

    config = load_district(district_dir)
    return config.issuer_did, KeyStore(keys_dir, forbidden_roots=[district_dir])


def _read_passphrase(passphrase_file: Path | None, prompt: bool, *, confirm: bool) -> str | None:
    from credfolio.errors import InputError, Location

    if passphrase_file is not None and prompt:
        raise InputError("use either --passphrase-file or --passphrase, not both")
    if passphrase_file is not None:
        try:
            lines = passphrase_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read the passphrase: {error}", location=Location(str(passphrase_file))) from None
        if not lines or not lines[0]:
            raise InputError("the first line is empty; put the passphrase there", location=Location(str(passphrase_file)))
        return lines[0]
    if prompt:
        return click.prompt("Passphrase for the new private key", hide_input=True, confirmation_prompt=confirm)
    return None


@cli.group()
def keys() -> None:
    """The district's signing keys: generate, rotate, list, publish, mark compromised.

    Private keys live outside the repository (in --keys-dir); only the public did.json is published.

    Example: credfolio keys generate --passphrase
    """


@keys.command("generate")
@_key_store_options
@_passphrase_options
def keys_generate(district_dir: Path, keys_dir: Path | None, passphrase_file: Path | None, prompt_passphrase: bool) -> None:
    """Create the district's first signing key (key-1).

    Example: credfolio keys generate --passphrase-file ~/.credfolio-passphrase
    """
    from datetime import UTC, datetime

    did, store = _open_key_store(district_dir, keys_dir)
    passphrase = _read_passphrase(passphrase_file, prompt_passphrase, confirm=True)
    now = datetime.now(UTC)
    key = store.generate(did, now=now, passphrase=passphrase)
    _report_new_key(did, key, store, passphrase)
    _record_key_change(district_dir, store, "key-generated", key.key_id, now)


@keys.command("rotate")
@_key_store_options
@_passphrase_options
def keys_rotate(district_dir: Path, keys_dir: Path | None, passphrase_file: Path | None, prompt_passphrase: bool) -> None:
    """Add a new signing key; older public keys stay in did.json so earlier badges keep verifying.

    Example: credfolio keys rotate --passphrase
    """
    from datetime import UTC, datetime

    did, store = _open_key_store(district_dir, keys_dir)
    passphrase = _read_passphrase(passphrase_file, prompt_passphrase, confirm=True)
    now = datetime.now(UTC)
    key = store.rotate(did, now=now, passphrase=passphrase)
    _report_new_key(did, key, store, passphrase)
    _record_key_change(district_dir, store, "key-rotated", key.key_id, now)


def _record_key_change(district_dir: Path, store, kind: str, key_id: str, now) -> None:
    """Rewrite the committed wallet/did.json and log the key event in the public ledger."""
    from credfolio.config import load_district
    from credfolio.issuance import record_key_change

    path = record_key_change(load_district(district_dir), store, kind=kind, key_id=key_id, now=now)
    click.echo(f"updated {path}")


def _report_new_key(did: str, key, store, passphrase: str | None) -> None:
    click.echo(f"created {key.verification_method(did)} ({key.public_multikey}) in {store.root}")
    if not passphrase:
        click.echo("warning: the private key is not encrypted; use --passphrase or --passphrase-file to protect it", err=True)
    click.echo("next: commit wallet/did.json; the site build publishes it")


@keys.command("list")
@_key_store_options
def keys_list(district_dir: Path, keys_dir: Path | None) -> None:
    """List the district's keys: id, public key, creation date, and which one signs.

    Example: credfolio keys list
    """
    did, store = _open_key_store(district_dir, keys_dir)
    stored = store.list_keys(did)
    signing = next((key.key_id for key in reversed(stored) if key.revoked is None), None)
    click.echo(did)
    for key in stored:
        notes = []
        if key.revoked is not None:
            notes.append(f"compromised since {key.revoked:%Y-%m-%d %H:%M} UTC")
        if key.key_id == signing:
            notes.append("signs new badges")
        suffix = f"  ({'; '.join(notes)})" if notes else ""
        click.echo(f"  {key.key_id}  {key.public_multikey}  created {key.created:%Y-%m-%d}{suffix}")


@keys.command("export-public")
@_key_store_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write did.json to this file instead of printing it.")
def keys_export_public(district_dir: Path, keys_dir: Path | None, out: Path | None) -> None:
    """Print the district's public DID document (did.json): every key, no secrets.

    Example: credfolio keys export-public --out site/did.json
    """
    import json

    did, store = _open_key_store(district_dir, keys_dir)
    text = json.dumps(store.did_document(did), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")


@keys.command("compromise")
@_key_store_options
@click.argument("key_id")
@click.option("--since", "since_text", help="When the key was compromised (ISO 8601 with a time zone) [default: now].")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def keys_compromise(district_dir: Path, keys_dir: Path | None, key_id: str, since_text: str | None, yes: bool) -> None:
    """Mark a key compromised: signatures it made from that moment on are refused everywhere did.json is read.

    Badges it signed earlier keep verifying. Rotate to a new key, publish did.json, and re-issue any
    badge signed after the compromise.

    Example: credfolio keys compromise key-1 --since 2025-09-01T08:00:00Z
    """
    from datetime import UTC, datetime

    did, store = _open_key_store(district_dir, keys_dir)
    since = _parse_moment(since_text, "--since") if since_text else datetime.now(UTC)
    if not yes:
        click.confirm(f"Mark {did}#{key_id} compromised since {since:%Y-%m-%d %H:%M %Z}?", abort=True)
    key = store.mark_compromised(did, key_id, at=since)
    click.echo(f"marked {key.verification_method(did)} compromised since {key.revoked:%Y-%m-%d %H:%M} UTC")
    _record_key_change(district_dir, store, "key-compromised", key.key_id, datetime.now(UTC))
    click.echo("next: credfolio keys rotate, commit wallet/did.json, and re-issue badges signed after that moment")


def _parse_moment(text: str, option: str):
    # An InputError (exit 1), not click's usage error (exit 2): `verify` reserves 2 for "status unknown".
    from credfolio.credential import parse_datetime
    from credfolio.errors import InputError

    moment = parse_datetime(text)
    if moment is None:
        raise InputError(f"{option} {text!r} is not a date and time with a time zone, like 2026-01-31T09:00:00Z")
    return moment


_CHECK_LABELS = {
    "structure": "file",
    "schema": "Open Badges format",
    "contexts": "vocabulary",
    "proof": "signature",
    "issuer_key": "issuer key",
    "dates": "dates",
    "status": "revocation status",
}
_STATE_LINES = {
    "verified": "VERIFIED: this badge is genuine, current and not revoked",
    "expired": "EXPIRED: this badge is genuine but no longer valid",
    "revoked": "REVOKED: the issuer has revoked this badge",
    "suspended": "SUSPENDED: the issuer has suspended this badge",
    "failed": "NOT VERIFIED: do not rely on this badge",
    "unknown-status": "STATUS UNKNOWN: the badge is genuine, but whether it was revoked could not be checked",
}
#: Exit codes of ``credfolio verify``: 0 verified, 2 status unknown, 1 anything else.
VERIFY_EXIT_CODES = {"verified": 0, "unknown-status": 2}


@cli.command()
@click.argument("source")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Built site folder to resolve the district's own URLs (did.json, status lists, badges) from.")
@click.option("--site-url", help="URL the --site folder is published at [default: site_url of the district].")
@_district_option
@click.option("--offline", is_flag=True, help="Never use the network: only --site and did:key resolve.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--now", "now_text", help="Verify as of this moment (ISO 8601 with a time zone) [default: now].")
@click.pass_context
def verify(ctx: click.Context, source: str, site_dir: Path | None, site_url: str | None, district_dir: Path, offline: bool, as_json: bool, now_text: str | None) -> None:
    """Verify a badge (a JSON file or an https URL): signature, issuer key, dates and revocation.

    Prints one line per check (✓ passed, ✗ failed, ? could not be checked) and a verdict. Exit code:
    0 verified, 1 not verified (failed, expired, revoked or suspended), 2 revocation status unknown.

    Example: credfolio verify wallet/badges/3f1c0e9a.json --site site
    """
    import json
    from datetime import UTC, datetime

    from credfolio.resolve import ChainResolver, FolderMapResolver, HttpsResolver, SiteResolver
    from credfolio.verify import verify_credential

    now = _parse_moment(now_text, "--now") if now_text else datetime.now(UTC)
    resolvers = []
    if site_dir is not None:
        if site_url is None:
            from credfolio.config import load_district

            site_url = load_district(district_dir).site_url
        resolvers.append(SiteResolver(site_dir, site_url))
    elif site_url is not None:
        from credfolio.errors import InputError

        raise InputError("--site-url needs --site (the folder the URL is mapped to)")
    if not offline:
        resolvers.append(HttpsResolver())
    resolver = ChainResolver(*resolvers) if resolvers else FolderMapResolver({})
    document = _read_badge(source, resolver)
    result = verify_credential(document, now=now, resolver=resolver)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        marks = {True: "✓", False: "✗", None: "?"}
        for check in result.checks:
            click.echo(f"{marks[check.ok]} {_CHECK_LABELS.get(check.id, check.id)}: {check.message}")
        click.echo(_STATE_LINES[result.state])
    ctx.exit(VERIFY_EXIT_CODES.get(result.state, 1))


def _read_badge(source: str, resolver) -> bytes:
    """The badge's raw bytes from an https URL (through ``resolver``) or a local file."""
    from credfolio.errors import InputError, Location
    from credfolio.verify import MAX_CREDENTIAL_BYTES

    if "://" in source:
        if not source.startswith("https://"):
            raise InputError(f"{source}: only https URLs can be verified")
        fetch_bytes = getattr(resolver, "fetch_bytes", None)
        if fetch_bytes is None:
            raise InputError(f"{source}: cannot fetch URLs offline; pass --site or drop --offline")
        return fetch_bytes(source)
    path = Path(source)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CREDENTIAL_BYTES + 1)  # the verifier's own limit: up to it, --json names the failing check
    except OSError as error:
        raise InputError(f"cannot read the badge: {error.strerror or error}", location=Location(source)) from None
    if len(data) > MAX_CREDENTIAL_BYTES:
        raise InputError(f"larger than {MAX_CREDENTIAL_BYTES:,} bytes, the most credfolio verifies; not a badge", location=Location(source))
    return data


# --- issuing, revocation and status lists (issue #6) -------------------------------------------------


def _unlock_options(function):
    """``--passphrase-file FILE`` / ``--passphrase`` to unlock an encrypted signing key, plus ``--keys-dir`` and ``--district``."""
    function = click.option("--passphrase", "prompt_passphrase", is_flag=True,
                            help="Ask for the passphrase of the signing key.")(function)
    function = click.option("--passphrase-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                            help="Read the signing key's passphrase from the first line of this file.")(function)
    return _key_store_options(function)


def _issuing_context(district_dir: Path, keys_dir: Path | None, passphrase_file: Path | None, prompt_passphrase: bool):
    """District, catalog, key store and passphrase for the issuing commands."""
    from credfolio.keys import KeyStore

    config, catalog = _district_and_catalog(district_dir)
    passphrase = _read_passphrase(passphrase_file, False, confirm=False)
    if prompt_passphrase and passphrase is None:
        passphrase = click.prompt("Passphrase of the signing key", hide_input=True)
    return config, catalog, KeyStore(keys_dir, forbidden_roots=[district_dir]), passphrase


def _shown(config, path: Path) -> str:
    try:
        return str(path.relative_to(config.root))
    except ValueError:
        return str(path)


@cli.command()
@click.argument("credential_id", required=False)
@click.option("--name", help="The teacher's name as it appears in the badge.")
@click.option("--email", help="The teacher's e-mail address (stored only in the private folder; the badge holds a salted hash).")
@click.option("--evidence", "evidence", multiple=True, metavar="URL", help="An https link to evidence (repeat for several).")
@click.option("--valid-until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Expiry date (default: the credential's expires_after).")
@click.option("--awarded", type=click.DateTime(formats=["%Y-%m-%d"]), help="Award date (default: today, or the review date).")
@click.option("--review", "review_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A passed review: the teacher, rubric levels and consented evidence come from it and its submission.")
@click.option("--teacher", "teacher_slug", help="Slug of an opted-in teacher (wallet/teachers/SLUG.yml): the badge is published.")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Issue one badge per CSV row.")
@click.option("--skip-invalid", is_flag=True, help="With --csv: issue the valid rows and list the invalid ones (default: issue nothing).")
@_unlock_options
def issue(credential_id, name, email, evidence, valid_until, awarded, review_file, teacher_slug, csv_file, skip_invalid,
          district_dir: Path, keys_dir: Path | None, passphrase_file: Path | None, prompt_passphrase: bool) -> None:
    """Issue signed badges: one (CREDENTIAL_ID --name --email, or --review FILE) or many (--csv FILE).

    Reruns are safe: a badge already issued for the same credential, e-mail, award date (and CSV
    request_id) is never issued twice, and a run killed midway is completed by rerunning it. CSV
    columns: credential, name, email, and optionally teacher_slug, evidence, valid_until, awarded,
    request_id, scores. Badges of opted-in teachers go to wallet/badges/, the others to the private folder.

    Example: credfolio issue talk-moves --name "Jordan Example" --email jordan.example@district.example
    """
    from datetime import UTC, datetime

    from credfolio.errors import InputError

    now = datetime.now(UTC)
    if csv_file is not None:
        if credential_id or name or email or evidence or valid_until or awarded or review_file or teacher_slug:
            raise InputError("--csv takes every value from the file; give no CREDENTIAL_ID, --name, --email or other badge options")
        _issue_csv(csv_file, skip_invalid, now, district_dir, keys_dir, passphrase_file, prompt_passphrase)
        return
    if skip_invalid:
        raise InputError("--skip-invalid only applies with --csv")
    from credfolio import issuance

    config, catalog, store, passphrase = _issuing_context(district_dir, keys_dir, passphrase_file, prompt_passphrase)
    until = valid_until.replace(tzinfo=UTC) if valid_until else None
    if review_file is not None:
        from credfolio.review import load_review
        from credfolio.submissions import find_submission

        review = load_review(review_file, catalog)
        if credential_id and credential_id != review.credential_id:
            raise InputError(f"the review is for '{review.credential_id}', not '{credential_id}'")
        submission = find_submission(config.private_path, review.credential_id, review.submission_id, catalog, allow_retired=True)
        if name or email:
            raise InputError("with --review the teacher's name and e-mail come from the submission; drop --name and --email")
        badge = issuance.issue_from_review(config, catalog, store, review=review, submission=submission, now=now,
                                           teacher_slug=teacher_slug, valid_until=until, passphrase=passphrase)
    else:
        if not credential_id or not name or not email:
            raise InputError("give CREDENTIAL_ID, --name and --email (or --review FILE, or --csv FILE)")
        badge = issuance.issue_badge(config, catalog, store, credential_id=credential_id, name=name, email=email, now=now,
                                     evidence=list(evidence), valid_until=until, awarded=awarded.date() if awarded else None,
                                     teacher_slug=teacher_slug, passphrase=passphrase)
    verb = "already issued" if badge.already_issued else "issued"
    where = "published in the wallet" if badge.public else "private: e-mail this file to the teacher"
    click.echo(f"{verb}: badge {badge.badge_id} ({badge.credential or badge.stack}) → {_shown(config, badge.path)} ({where})")


def _issue_csv(csv_file: Path, skip_invalid: bool, now, district_dir: Path, keys_dir, passphrase_file, prompt_passphrase) -> None:
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from credfolio import issuance

    config, catalog, store, passphrase = _issuing_context(district_dir, keys_dir, passphrase_file, prompt_passphrase)
    started = time.monotonic()
    console = Console(stderr=True)
    with Progress(TextColumn("signing badges"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("issue", total=None)
        report = issuance.issue_csv(config, catalog, store, csv_file, now=now, skip_invalid=skip_invalid, passphrase=passphrase,
                                    progress=lambda done, total: bar.update(task, completed=done, total=total))
    seconds = time.monotonic() - started
    for problem in report.rejected:
        click.echo(f"skipped: {problem}", err=True)
    public = sum(1 for badge in report.issued if badge.public)
    rate = f" in {seconds:.1f} s ({len(report.issued) / seconds:.0f} badges/s)" if report.issued and seconds > 0 else ""
    click.echo(f"issued {len(report.issued)} badges ({public} published, {len(report.issued) - public} private){rate}; "
               f"{len(report.already_issued)} already issued; {len(report.stack_badges)} stack badges; "
               f"{len(report.rejected)} rows skipped")
    if report.did_document_written:
        click.echo(f"updated {_shown(config, config.wallet_path / 'did.json')} to match the key store")
    for path in report.published:
        click.echo(f"signed status list {_shown(config, path)}")
    if any(not badge.public for badge in report.issued + report.stack_badges):
        click.echo(f"private badges to e-mail to their teachers are in {config.private_path / 'badges'}")


def _reason_options(function):
    function = click.option("--public-reason/--private-reason", "publish_reason", default=True, show_default=True,
                            help="Publish the reason in the ledger and on the badge page, or keep it in the private folder.")(function)
    return click.option("--reason", required=True, help="Why (one line).")(function)


def _report_status_change(config, change) -> None:
    when = change.at.strftime("%Y-%m-%d")
    if change.already:
        click.echo(f"badge {change.badge_id} was already {change.action} (on {when}); nothing to change")
    else:
        click.echo(f"{change.action}: badge {change.badge_id}")
    for path in change.published:
        click.echo(f"signed status list {_shown(config, path)}")


@cli.command()
@click.argument("badge_id")
@_reason_options
@_unlock_options
def revoke(badge_id: str, reason: str, publish_reason: bool, district_dir: Path, keys_dir, passphrase_file, prompt_passphrase) -> None:
    """Revoke a badge for good and re-sign the revocation status list.

    The reason is kept in the ledger (and shown on the badge page) unless --private-reason.

    Example: credfolio revoke 3f1c0e9a-7d2b-5c1e-9a0f-1b2c3d4e5f60 --reason "Issued in error"
    """
    from datetime import UTC, datetime

    from credfolio.issuance import revoke_badge

    config, _, store, passphrase = _issuing_context(district_dir, keys_dir, passphrase_file, prompt_passphrase)
    change = revoke_badge(config, store, badge_id, reason=reason, now=datetime.now(UTC), publish_reason=publish_reason, passphrase=passphrase)
    _report_status_change(config, change)


@cli.command()
@click.argument("badge_id")
@_reason_options
@_unlock_options
def suspend(badge_id: str, reason: str, publish_reason: bool, district_dir: Path, keys_dir, passphrase_file, prompt_passphrase) -> None:
    """Suspend a badge until `credfolio unsuspend` (recorded in the public ledger, shown on the badge page).

    Example: credfolio suspend 3f1c0e9a-7d2b-5c1e-9a0f-1b2c3d4e5f60 --reason "Under review"
    """
    from datetime import UTC, datetime

    from credfolio.issuance import suspend_badge

    config, _, store, passphrase = _issuing_context(district_dir, keys_dir, passphrase_file, prompt_passphrase)
    change = suspend_badge(config, store, badge_id, reason=reason, now=datetime.now(UTC), publish_reason=publish_reason, passphrase=passphrase)
    _report_status_change(config, change)


@cli.command()
@click.argument("badge_id")
@_unlock_options
def unsuspend(badge_id: str, district_dir: Path, keys_dir, passphrase_file, prompt_passphrase) -> None:
    """Lift a badge's suspension.

    Example: credfolio unsuspend 3f1c0e9a-7d2b-5c1e-9a0f-1b2c3d4e5f60
    """
    from datetime import UTC, datetime

    from credfolio.issuance import unsuspend_badge

    config, _, store, passphrase = _issuing_context(district_dir, keys_dir, passphrase_file, prompt_passphrase)
    _report_status_change(config, unsuspend_badge(config, store, badge_id, now=datetime.now(UTC), passphrase=passphrase))


@cli.command()
@click.argument("badge_id")
@click.option("--new-email", required=True, help="The teacher's new e-mail address.")
@_unlock_options
def reissue(badge_id: str, new_email: str, district_dir: Path, keys_dir, passphrase_file, prompt_passphrase) -> None:
    """Re-issue a badge to a teacher's new e-mail address; the old badge is revoked and linked to the new one.

    Example: credfolio reissue 3f1c0e9a-7d2b-5c1e-9a0f-1b2c3d4e5f60 --new-email jordan.new@district.example
    """
    from datetime import UTC, datetime

    from credfolio.issuance import reissue_badge

    config, catalog, store, passphrase = _issuing_context(district_dir, keys_dir, passphrase_file, prompt_passphrase)
    badge = reissue_badge(config, catalog, store, badge_id, new_email=new_email, now=datetime.now(UTC), passphrase=passphrase)
    click.echo(f"re-issued as badge {badge.badge_id} → {_shown(config, badge.path)}; the old badge is revoked")


@cli.group()
def status() -> None:
    """Bitstring Status Lists: the signed revocation lists verifiers check.

    Example: credfolio status publish
    """


@status.command("publish")
@click.option("--force", is_flag=True, help="Re-sign every list, even unchanged ones.")
@_unlock_options
def status_publish(force: bool, district_dir: Path, keys_dir, passphrase_file, prompt_passphrase) -> None:
    """Rebuild every status list from the ledger and re-sign the ones that changed (wallet/status/).

    Example: credfolio status publish
    """
    from datetime import UTC, datetime

    from credfolio.config import load_district
    from credfolio.issuance import publish_status_lists
    from credfolio.keys import KeyStore

    config = load_district(district_dir)
    passphrase = _read_passphrase(passphrase_file, False, confirm=False)
    if prompt_passphrase and passphrase is None:
        passphrase = click.prompt("Passphrase of the signing key", hide_input=True)
    store = KeyStore(keys_dir, forbidden_roots=[district_dir])
    written = publish_status_lists(config, store, now=datetime.now(UTC), passphrase=passphrase, force=force)
    for path in written:
        click.echo(f"signed status list {_shown(config, path)}")
    if not written:
        click.echo("every status list is up to date")


@cli.command()
@click.argument("target", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--teachers", type=int, required=True, help="How many teachers (about nine in ten opt in to a public wallet).")
@click.option("--badges", type=int, required=True, help="How many credential badges (distinct teacher and credential; stack badges come on top).")
@click.option("--credentials", type=int, required=True, help="How many catalog credentials (stacks of three to five are made from them).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same district (except the key).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day the district is as of [default: 2026-11-01].")
def synth(target: Path, teachers: int, badges: int, credentials: int, seed: int, as_of) -> None:
    """Write a synthetic district with signed badges into DIR (new or empty), for benchmarks and load tests.

    Teachers get made-up names from many languages; badges are issued through the bulk issuing code
    with a throwaway key (only its public did.json is kept), and a few are revoked, suspended or expired.

    Example: credfolio synth --teachers 2000 --badges 5000 --credentials 40 /tmp/synthetic-district
    """
    import time

    from credfolio import synth as synthesis

    started = time.monotonic()
    options = {"as_of": synthesis.as_of_date(as_of.date())} if as_of else {}
    report = synthesis.synthesize_district(target, teachers=teachers, badges=badges, credentials=credentials, seed=seed, **options)
    click.echo(f"wrote {report.root}: {report.credentials} credentials in {report.stacks} stacks, {report.teachers} teachers "
               f"({report.opted_in} with a public wallet), {report.badges} badges ({report.public_badges} published, "
               f"{report.stack_badges} stack badges; {report.revoked} revoked, {report.suspended} suspended, {report.expired} expired) "
               f"in {time.monotonic() - started:.1f} s")
    click.echo(f"signed with the throwaway key {report.verification_method}; build it with: mkdocs build -f {target / 'mkdocs.yml'}")


@cli.group()
def shards() -> None:
    """Check and merge the parts of a build sharded by teacher slug (CREDFOLIO_SHARD).

    Example: credfolio shards merge shard-a-m shard-n-z0-9 shard-none --into site
    """


@shards.command("check")
@click.argument("specs", metavar="SHARD...", nargs=-1, required=True)
@_district_option
def shards_check(specs: tuple[str, ...], district_dir: Path) -> None:
    """Check that SHARD values (one per CI job, plus none) cover every teacher of the district exactly once.

    Example: credfolio shards check a-m n-z,0-9 none
    """
    from credfolio import wallet
    from credfolio.config import load_district
    from credfolio.errors import ShardError
    from credfolio.shard import check_shards, parse_shard

    parsed = [parse_shard(spec) for spec in specs]
    slugs = [slug for slug, teacher in wallet.load_teachers(load_district(district_dir)).items() if teacher.consent.wallet_page]
    problems = check_shards(parsed, slugs)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise ShardError(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} with the shards {' '.join(specs)}")
    click.echo(f"the shards cover each of the {len(slugs)} teachers once")


@shards.command("merge")
@click.argument("sources", metavar="SRC...", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(file_okay=False, path_type=Path), help="The merged site folder (new or empty).")
def shards_merge(sources: tuple[Path, ...], into: Path) -> None:
    """Merge the site folders of a sharded build (every teacher shard and the none part) into one site.

    Copies everything from the none part and only badges/ and wallet/ from each teacher shard; fails,
    naming the file, when two parts contribute the same path or a teacher is in no shard.

    Example: credfolio shards merge shard-a-m shard-n-z0-9 shard-none --into site
    """
    from credfolio.shard import merge_shards

    report = merge_shards(sources, into)
    click.echo(f"merged {report.parts} parts into {into}: {report.files} files, {report.teachers} teachers")


def _report(error: CredfolioError) -> int:
    """Print an error (or each problem of a ValidationError) on one line each; return the exit code."""
    if isinstance(error, ValidationError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem{'s' if len(error.problems) != 1 else ''} found", err=True)
    else:
        click.echo(f"error: {error}", err=True)
    return error.exit_code


USAGE_EXIT_CODE = 64


def cli_reference() -> str:
    """Markdown reference of every command's ``--help`` (generated into docs/reference/cli.md)."""
    sections: list[str] = []

    def walk(command: click.Command, path: list[str], parent: click.Context | None) -> None:
        # the same context settings a real invocation uses (e.g. -h), so the page matches `--help`
        settings = {"terminal_width": 100, "max_content_width": 100, **command.context_settings}
        context = click.Context(command, info_name=" ".join(path), parent=parent, **settings)
        sections.append(f"## `{' '.join(path)}`\n\n```text\n{command.get_help(context)}\n```\n")
        if isinstance(command, click.Group):
            for name in sorted(command.list_commands(context)):
                walk(command.get_command(context, name), [*path, name], context)

    walk(cli, ["credfolio"], None)
    return "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    """Entry point for the console script; returns the process exit code."""
    try:
        result = cli.main(args=argv, prog_name="credfolio", standalone_mode=False)
    except CredfolioError as error:
        return _report(error)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.UsageError as error:
        # EX_USAGE rather than click's 2, which `credfolio verify` uses for "status could not be checked".
        error.show()
        return USAGE_EXIT_CODE
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
