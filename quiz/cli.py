"""The ``quiz`` command: serve the app, validate a bank, set up the database."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import click

from . import accounts, blueprint, bundled, create_app, cues, editor, moodle
from .bank import BankError, load
from .lint import counts, lint
from .revisions import BankRevisions, Conflict, Invalid
from .store import Store, StoreError
from .store import restore as restore_backup


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The e-commerce manager self-assessment.

    Settings come from QUIZ_* environment variables: QUIZ_DATABASE,
    QUIZ_QUESTIONS, QUIZ_SECRET_KEY (see README.md).
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Serve the app with the development server (use gunicorn in production)."""
    app = create_app()
    click.echo(f"Serving on http://{host}:{port}/ (database {app.config['DATABASE']})")
    app.run(host=host, port=port, debug=False, threaded=True)


@main.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--strict",
    is_flag=True,
    help="Also check content quality: coverage, explanations, options, "
    "duplicates, answer positions, units, difficulty.",
)
def validate(path: str | None, strict: bool) -> None:
    """Check a question bank; list every problem, or print its counts."""
    path = path or _bank_path()
    try:
        bank = load(path)
        problems = lint(bank) if strict else []
    except BankError as exc:
        problems = exc.problems
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        count = len(problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found.", err=True)
        sys.exit(1)
    click.echo(bank.summary())
    if strict:
        click.echo(counts(bank))
        click.echo("What always picking by length earns, against chance:")
        click.echo(cues.report([q for q in bank.questions if q.scored]))


@main.command("blueprint")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def blueprint_command(path: str | None) -> None:
    """Print the bank's blueprint: each duty's topics and the questions that sample them,
    as a Markdown table."""
    path = path or _bank_path()
    try:
        bank = load(path)
    except BankError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    if not bank.blueprint:
        click.echo(f"{path}: the bank has no blueprint (see docs/question-bank.md).", err=True)
        sys.exit(1)
    click.echo(blueprint.table(bank))


@main.command("init-db")
def init_db() -> None:
    """Create the database, or upgrade its schema to this version of the app."""
    app = create_app()  # creating the app migrates the database
    store = Store(app.config["DATABASE"])
    try:
        click.echo(f"{app.config['DATABASE']}: schema version {store.schema_version()}")
    finally:
        store.close()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except OSError:  # no login name in this environment (a container, say)
        return "command line"


def _bank_path() -> str:
    """The bank the app would serve: QUIZ_QUESTIONS, else the bundled one."""
    return os.environ.get("QUIZ_QUESTIONS") or str(bundled("questions.yaml"))


def _read_password() -> str:
    """Asked twice at a terminal; one line from standard input otherwise (scripts, CI)."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


def _set_password(username: str, must_exist: bool) -> None:
    problem = accounts.username_problem(username)
    if problem:
        raise click.BadParameter(problem, param_hint="USERNAME")
    app = create_app()
    store = Store(app.config["DATABASE"])
    try:
        # Before the password is asked for: a wrong name should not cost typing it twice.
        problem = accounts.account_problem(store, username, new=not must_exist)
        if problem:
            raise click.ClickException(problem)
        accounts.set_password(store, username, _read_password(), new=not must_exist)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(
        f"Password changed for {username}; their sessions have ended."
        if must_exist
        else f"Created instructor {username}."
    )


@main.command("create-instructor")
@click.argument("username")
def create_instructor(username: str) -> None:
    """Create an instructor account (the password is asked twice, or read from stdin)."""
    _set_password(username, must_exist=False)


@main.command("set-password")
@click.argument("username")
def set_password(username: str) -> None:
    """Change an instructor's password."""
    _set_password(username, must_exist=True)


@main.command("remove-instructor")
@click.argument("username")
def remove_instructor(username: str) -> None:
    """Delete an instructor account and its cohorts (their attempts stay with their takers);
    its sessions end at once (revisions keep the name)."""
    app = create_app()
    store = Store(app.config["DATABASE"])
    try:
        cohorts = accounts.remove(store, username)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    said = (
        f"; their {cohorts} cohort{'s' if cohorts != 1 else ''} went with the account "
        "(the attempts stay with their takers)"
        if cohorts
        else ""
    )
    click.echo(f"Removed instructor {username}; their sessions have ended{said}.")


@main.command("set-admin")
@click.argument("username")
@click.option("--off", is_flag=True, help="Make the administrator an instructor again.")
def set_admin(username: str, off: bool) -> None:
    """Make an instructor an administrator, who sees every instructor's cohorts."""
    app = create_app()
    store = Store(app.config["DATABASE"])
    try:
        accounts.set_admin(store, username, not off)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if off:
        click.echo(f"{username} is no longer an administrator: they see their own cohorts.")
    else:
        click.echo(f"{username} is an administrator: they see every instructor's cohorts.")


@main.command("seed-demo")
@click.option(
    "--attempts",
    "count",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="How many finished attempts to add.",
)
@click.option("--seed", default=1, show_default=True, help="Seed of the random takers.")
def seed_demo(count: int, seed: int) -> None:
    """Add realistic finished attempts (strong and weak takers) for demonstrations."""
    import time

    from .demo import attempts

    app = create_app()
    bank = app.extensions["quiz.bank"].current()
    if bank is None:
        raise click.ClickException("the question bank does not load; run 'quiz validate'")
    store = Store(app.config["DATABASE"])
    started = time.perf_counter()
    try:
        added = store.add_finished_attempts(bank.scheme_version, attempts(bank, count, seed))
    finally:
        store.close()
    click.echo(
        f"Added {added} finished attempts to {app.config['DATABASE']} "
        f"in {time.perf_counter() - started:.1f} s."
    )


@main.command()
@click.option(
    "--min-responses",
    type=click.IntRange(1, None),
    help="Answers a question version needs to be calibrated "
    "(default: QUIZ_CALIBRATION_MIN_RESPONSES, 200).",
)
def calibrate(min_responses: int | None) -> None:
    """Estimate item parameters from finished assessments (docs/measurement.md).

    Versions with fewer answers keep their provisional parameters.
    """
    from .analysis import calibrate_versions

    app = create_app()
    needed = min_responses or int(app.config["CALIBRATION_MIN_RESPONSES"])
    store = Store(app.config["DATABASE"])
    try:
        rows = calibrate_versions(store, needed)
    finally:
        store.close()
    if not rows:
        click.echo("No finished assessments yet: every question keeps its provisional parameters.")
        return
    click.echo(f"{'question':<28} {'version':<8} {'n':>6} {'a':>11} {'b':>12} {'c':>5} {'RMSD':>6}")
    for row in rows:
        click.echo(
            f"{row['q'].id:<28} {row['version_hash'][:8]} {row['n']:>6} "
            f"{row['a']:5.2f} ±{row['se_a']:4.2f} {row['b']:+6.2f} ±{row['se_b']:4.2f} "
            f"{row['c']:5.2f} {row['rmsd']:6.3f}"
            + ("" if row["kept"] else "  provisional: too few answers")
        )
    kept = sum(row["kept"] for row in rows)
    click.echo(
        f"Calibrated {kept} of {len(rows)} question versions "
        f"(at least {needed} answers each); the others keep their provisional parameters."
    )


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path: str) -> None:
    """Copy the database safely, even while the app serves (SQLite's online backup)."""
    app = create_app()
    store = Store(app.config["DATABASE"])
    try:
        store.backup(path)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(f"Backed up {app.config['DATABASE']} to {path}.")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def restore(path: str) -> None:
    """Replace the database with a backup. Stop the app first."""
    database = os.environ.get("QUIZ_DATABASE") or create_app().config["DATABASE"]
    try:
        version = restore_backup(path, database)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Restored {path} to {database} (schema version {version}); the previous "
        f"database is kept as {database}.before-restore. Start the app again."
    )


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", help="The area of questions whose category matches none.")
@click.option("--dry-run", is_flag=True, help="Show what would be added; change nothing.")
@click.option(
    "--author",
    default=_login_name,
    show_default="your login name",
    help="Who the bank's history names for this change.",
)
def import_questions(file: str, area: str | None, dry_run: bool, author: str) -> None:
    """Add the questions of a GIFT or Moodle XML file to the bank, keeping its comments.

    The change is saved as a revision of the bank, as an instructor's import in
    the browser is.
    """
    path = _bank_path()
    bank = load(path)
    if area and area not in {d.id for d in bank.dimensions}:
        raise click.BadParameter(
            f"no area '{area}' (areas: {', '.join(d.id for d in bank.dimensions)})",
            param_hint="--area",
        )
    try:
        fmt, found, skipped = moodle.read(Path(file).read_bytes())
    except moodle.MoodleFileError as exc:
        raise click.ClickException(f"{file}:{exc.line}: {exc.message}") from None
    converted = moodle.to_bank(found, bank, area)
    conversion = moodle.Conversion(
        converted.made, sorted(skipped + converted.skipped, key=lambda s: s.line), converted.notes
    )
    made = conversion.made
    too_big = moodle.bank_room(Path(path).stat().st_size, made)
    if too_big:
        raise click.ClickException(f"{file}: nothing imported: {too_big}")
    if made and not dry_run:
        app = create_app({"QUESTIONS": path})
        store = Store(app.config["DATABASE"])
        try:
            revisions = BankRevisions(path, store)
            _, base = revisions.current()
            outcome = revisions.edit(
                base,
                lambda doc: [editor.put_question(doc, q) for q in made],
                author,
                f"Imported {len(made)} question{'s' if len(made) != 1 else ''} "
                f"from {Path(file).name}",
            )
        finally:
            store.close()
        if isinstance(outcome, Invalid):
            problems = "; ".join(str(p) for p in outcome.problems)
            raise click.ClickException(f"nothing imported: {problems}")
        if isinstance(outcome, Conflict):
            raise click.ClickException("nothing imported: the bank changed meanwhile; try again")
    area_ids = [d.id for d in bank.dimensions]
    click.echo(moodle.summary(file, fmt, conversion, dry_run, area_ids))


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(["gift", "moodle-xml"]), required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="The file to write (default: standard output).",
)
def export_questions(fmt: str, output: str | None) -> None:
    """Write the bank in Moodle's GIFT or XML format, for Moodle to import."""
    try:
        bank = load(_bank_path())
    except BankError as exc:
        raise click.ClickException(str(exc)) from None
    text, notes = moodle.to_gift(bank) if fmt == "gift" else moodle.to_xml(bank)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
    for note in notes:
        click.echo(note, err=True)


if __name__ == "__main__":
    main()
