"""The ``quiz`` command: serve the app, validate a bank, set up the database."""

from __future__ import annotations

import os
import sys

import click

from . import bundled, create_app
from .bank import BankError, load
from .lint import counts, lint
from .store import Store


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
    path = path or os.environ.get("QUIZ_QUESTIONS") or str(bundled("questions.yaml"))
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


@main.command("init-db")
def init_db() -> None:
    """Create the database, or upgrade its schema to this version of the app."""
    app = create_app()  # creating the app migrates the database
    store = Store(app.config["DATABASE"])
    try:
        click.echo(f"{app.config['DATABASE']}: schema version {store.schema_version()}")
    finally:
        store.close()


if __name__ == "__main__":
    main()
