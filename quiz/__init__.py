"""The e-commerce manager self-assessment: a Flask app."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Request, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature
from werkzeug.middleware.proxy_fix import ProxyFix

from . import moodle, sessions, web
from .bank import BankSource
from .store import SCHEMA_VERSION, StorageUnavailable, Store

PACKAGE = Path(__file__).resolve().parent

# htmx is pinned to one release; the integrity hash is that of dist/htmx.min.js
# in the npm package, which tests check.
HTMX_VERSION = "2.0.11"
HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
HTMX_CDN = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"

csrf = CSRFProtect()
MIN_SECRET_BYTES = 32


class SecretKeyTooShort(ValueError):
    """QUIZ_SECRET_KEY is too short to sign sessions safely."""


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie gets the Secure flag on every request that came over HTTPS
    (behind a proxy: one that sets X-Forwarded-Proto, trusted with ``PROXIES``, or by
    gunicorn from 127.0.0.1), and always with ``SESSION_COOKIE_SECURE``.

    A permanent session's cookie is signed again when the session changes and, to keep
    its expiry moving with use, when it was signed more than ``RENEW_AFTER`` ago; not on
    every response (``SESSION_REFRESH_EACH_REQUEST`` is off), where signing it cost
    about as much as rendering the next question of an attempt.
    """

    RENEW_AFTER = timedelta(days=1)

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        return has_request_context() and request.is_secure

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """As Flask's, and the session remembers when its cookie was signed."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if super().should_set_cookie(app, session):
            return True
        signed_at = getattr(session, "signed_at", None)
        return session.permanent and (
            signed_at is None or datetime.now(UTC) - signed_at >= self.RENEW_AFTER
        )


def bundled(name: str) -> Path:
    """A shipped file or folder: inside the package in a wheel, at the top of a checkout."""
    inside = PACKAGE / name
    return inside if inside.exists() else PACKAGE.parent / name


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(bundled("templates")),
        static_folder=str(bundled("static")),
        instance_path=os.environ.get("QUIZ_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "quiz.db"),
        QUESTIONS=str(bundled("questions.yaml")),
        SECRET_KEY=None,
        MAX_CONTENT_LENGTH=64 * 1024,  # answers are short
        # The raw bank editor sends the whole file.
        EDITOR_MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        # An import sends a file of up to moodle.MAX_FILE_BYTES, and its confirmation the
        # same file again in base64 (a third larger) in a form field.
        IMPORT_MAX_CONTENT_LENGTH=moodle.MAX_FILE_BYTES * 4 // 3 + 1024 * 1024,
        MAX_FORM_PARTS=200,
        # A token lives as long as the session, so a long break loses no answer.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The Secure flag is set on HTTPS requests anyway; True sets it always (a proxy
        # that terminates TLS without telling the app: README, "In production").
        SESSION_COOKIE_SECURE=False,
        # The session cookie and the CSRF token already tie a form to this site; the
        # referrer check flask-wtf adds on HTTPS would refuse every form, since pages
        # send no Referer (Referrer-Policy: no-referrer keeps attempt tokens private).
        WTF_CSRF_SSL_STRICT=False,
        PERMANENT_SESSION_LIFETIME=timedelta(days=365),  # a taker's link to their history
        SESSION_REFRESH_EACH_REQUEST=False,  # renewed daily instead (_SessionInterface)
        # An instructor's session ends after this long without a request, and this long
        # after logging in whatever happens (docs/reliability.md, "Sessions").
        INSTRUCTOR_IDLE_MINUTES=120,
        INSTRUCTOR_SESSION_HOURS=12,
        # How many reverse proxies in front of the app to trust for the client's address
        # and scheme (X-Forwarded-For, X-Forwarded-Proto); 0 trusts none (README).
        PROXIES=0,
        # Starting attempts, per client address and per taker, within START_WINDOW seconds.
        START_LIMIT_PER_ADDRESS=60,
        START_LIMIT_PER_TAKER=10,
        START_WINDOW=600,
        # An attempt without a single answer is deleted this long after its last change.
        EMPTY_ATTEMPT_HOURS=24,
        HTMX_URL=HTMX_CDN,
        HTMX_INTEGRITY=HTMX_INTEGRITY,
        HTMX_FILE=None,  # a local copy of htmx.min.js, served instead of the CDN (offline, tests)
        BANK_CHECK_SECONDS=1.0,
        SERVER_TIMING=False,  # a Server-Timing header with the app's time (benchmarks)
        RETENTION_DAYS=730,  # a taker's data is deleted this long after their last visit
        # Answers a question version needs before calibration replaces its provisional
        # item parameters (docs/measurement.md).
        CALIBRATION_MIN_RESPONSES=200,
    )
    app.config.from_prefixed_env("QUIZ")
    from_environment = os.environ.get("QUIZ_SECRET_KEY")
    if config:
        app.config.from_mapping(config)
    if from_environment is not None and "SECRET_KEY" not in (config or {}):
        _check_secret(from_environment)

    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = str(app.config["SECRET_KEY"])  # QUIZ_* values may parse as JSON
    else:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")

    _configure_logging()
    _prepare_database(app)

    app.extensions["quiz.bank"] = BankSource(
        app.config["QUESTIONS"], check_every=float(app.config["BANK_CHECK_SECONDS"])
    )
    app.extensions["quiz.bank"].current()

    proxies = int(app.config["PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.session_interface = _SessionInterface()
    app.before_request(web.limit_body)  # before CSRFProtect reads the form
    csrf.init_app(app)
    web.init_app(app)

    from . import instructor, taker
    from .instructor import login
    from .taker import history

    sessions.init_app(app)
    for blueprint in (taker.bp, history.bp, login.bp, instructor.bp):
        app.register_blueprint(blueprint)
    return app


def _prepare_database(app: Flask) -> None:
    """Migrate and apply retention; on a read-only or full disk, serve what can be served.

    A schema that is current is enough to serve pages: the failure is logged and
    each request that needs to write gets a clear error page instead of the app
    failing to start (and its supervisor restarting it in a loop). A database this
    process cannot write is opened read-only (``Store.read_only``) and not migrated;
    one whose schema is older than the app needs stops the start with a sentence.
    """
    log = logging.getLogger("quiz")
    store = Store(app.config["DATABASE"])
    try:
        if store.read_only:
            # Nothing is migrated and nothing purged: only a current schema serves.
            store.migrate()
            log.warning(
                "%s is on storage this process cannot write; serving it read-only%s",
                app.config["DATABASE"],
                " (immutable: no -wal or -shm file beside it)" if store.immutable else "",
            )
            return
        try:
            store.migrate()
        except StorageUnavailable as exc:
            if store.schema_version() != SCHEMA_VERSION:
                raise
            log.error("cannot write to %s (%s); serving read-only", app.config["DATABASE"], exc)
            return
        try:
            web.purge(store, app.config)
        except StorageUnavailable as exc:
            log.error("cannot apply retention to %s: %s", app.config["DATABASE"], exc)
    finally:
        store.close()


def _check_secret(key: str) -> None:
    size = len(key.encode())
    if size < MIN_SECRET_BYTES:
        raise SecretKeyTooShort(
            f"QUIZ_SECRET_KEY is {size} byte{'s' if size != 1 else ''} long; it must be at "
            f"least {MIN_SECRET_BYTES}. Make one with: python -c 'import secrets; "
            "print(secrets.token_hex(32))', or leave it unset to use the key the app keeps "
            "in its instance folder."
        )


def _instance_secret(path: Path) -> str:
    """The secret key kept in the instance folder, made once with mode 0600.

    Several workers may start at once: each writes its own candidate and links
    it into place; the first link wins and everybody reads the winner.
    """
    if not path.exists():
        candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(candidate)
    return path.read_text().strip()


def _configure_logging() -> None:
    logger = logging.getLogger("quiz")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
