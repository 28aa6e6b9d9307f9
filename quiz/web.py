"""Request plumbing shared by the blueprints.

The store of the request, the current bank, rendering a whole page or (for
htmx) a block of it, friendly error pages and the security headers.
"""

from __future__ import annotations

import csv
import io
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import jinja2_fragments as fragments
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

from . import moodle
from .answers import SQLITE_MAX_INT
from .bank import Bank
from .scoring import percent
from .store import StorageUnavailable, Store
from .text import markdown, markdown_inline

MESSAGES = {
    400: "The request could not be understood. Go back, reload the page and try again.",
    401: "Please log in as an instructor to do that.",
    403: "You do not have access to this page.",
    404: "There is no page at this address. If you followed a link, check that it was "
    "copied whole.",
    405: "This address does not accept that kind of request.",
    409: "That change conflicts with the current state of this page. Reload it and try again.",
    413: "What was sent is too large. An answer needs only a few words or numbers.",
    422: "That could not be saved because it has problems; they are listed on the page.",
    429: "Too many attempts. Wait a minute, then try again.",
    500: "Something went wrong on our side. Everything you saved before this is safe; "
    "try again in a moment.",
    503: "The assessment is being updated. Please try again in a minute.",
}
CSRF_MESSAGE = (
    "This form has expired or did not come from this site, so nothing was saved. "
    "Reload the page and try again."
)


def store() -> Store:
    """This thread's connection to the database, opened once and reused by its requests.

    Opening a connection per request costs more than most requests do: the
    pragmas, and in WAL mode a checkpoint whenever the last connection closes.
    """
    local = current_app.extensions["quiz.connections"]
    opened = getattr(local, "store", None)
    if opened is None:
        opened = local.store = Store(current_app.config["DATABASE"])
    return opened


def retention_cutoff(config: Mapping[str, Any]) -> str:
    """The time before which an unseen taker's data is deleted."""
    cutoff = datetime.now(UTC) - timedelta(days=float(config["RETENTION_DAYS"]))
    return cutoff.isoformat(timespec="seconds")


def purge(target: Store, config: Mapping[str, Any]) -> None:
    """Apply retention, and delete attempts started and left without an answer."""
    target.purge(retention_cutoff(config))
    empty = datetime.now(UTC) - timedelta(hours=float(config["EMPTY_ATTEMPT_HOURS"]))
    target.purge_empty(empty.isoformat(timespec="seconds"))


_last_purge = float("-inf")


def purge_if_due() -> None:
    """:func:`purge` at most once an hour per process (start-up purges too)."""
    global _last_purge
    if time.monotonic() - _last_purge >= 3600:
        _last_purge = time.monotonic()
        purge(store(), current_app.config)


def current_instructor() -> str | None:
    """The username of the instructor logged in on this session, or None (checked
    against the account on each request: ``instructor.login``)."""
    return current_user.username if current_user.is_authenticated else None


def current_bank() -> Bank | None:
    return current_app.extensions["quiz.bank"].current()


def is_htmx() -> bool:
    """An htmx request that wants a fragment (not a history restore, which needs the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, status: int = 200, **context: Any) -> Response:
    """The whole page, or for htmx its ``content`` block with the page title."""
    if is_htmx():
        body = render_titled_blocks(template, ["content"], **context)
    else:
        body = render_template(template, **context)
    return Response(body, status=status, mimetype="text/html")


def go(url: str, page: Response | None = None) -> Response:
    """Where a form post leads: htmx gets the next page's block and its URL, others a 303."""
    if page is not None and is_htmx():
        page.headers["HX-Push-Url"] = url
        return page
    return redirect(url, code=303)


def render_titled_blocks(template: str, blocks: Sequence[str], **context: Any) -> str:
    """For htmx: the page's title in a ``<title>`` element (htmx puts it in the tab),
    then the page's ``blocks``, all from one template context."""
    app = current_app._get_current_object()
    app.update_template_context(context)
    # The title is already escaped HTML, as in the whole page: escaping it again would
    # show "&amp;" in the tab after an htmx navigation.
    title = fragments.render_block(app.jinja_env, template, "title", **context).strip()
    body = fragments.render_blocks(app.jinja_env, template, blocks, **context)
    return f"<title>{title}</title>\n{body}"


def render_fragment(template: str, block: str, status: int = 200, **context: Any) -> Response:
    """One block of a page, for an htmx request that updates a small region."""
    return Response(render_block(template, block, **context), status=status, mimetype="text/html")


def limit_body() -> None:
    """Logged-in instructors may send the whole bank file, or a file to import (whose
    confirmation carries it again in a form field); everybody else, short forms."""
    if request.path.startswith("/instructor/") and current_instructor():
        if request.path.startswith("/instructor/import"):
            limit = current_app.config["IMPORT_MAX_CONTENT_LENGTH"]
            request.max_content_length = request.max_form_memory_size = limit
        else:
            request.max_content_length = current_app.config["EDITOR_MAX_CONTENT_LENGTH"]
    _buffer_chunked_body(request.max_content_length)


def _buffer_chunked_body(limit: int | None) -> None:
    """A body without a Content-Length (chunked) is read here, up to the limit: over it
    is a 413, as a body that declares its length is. (Werkzeug would otherwise stop
    reading at the limit and parse what it got, cutting the form short silently.)"""
    environ = request.environ
    # Werkzeug ignores Content-Length beside chunked encoding, and so does this.
    if limit is None or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    raw = environ["wsgi.input"]
    data = bytearray()
    while len(data) <= limit:
        chunk = raw.read(min(64 * 1024, limit + 1 - len(data)))
        if not chunk:
            break
        data += chunk
    if len(data) > limit:
        abort(413)
    environ["wsgi.input"] = io.BytesIO(bytes(data))
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)


class AsciiInt(IntegerConverter):
    """``<int:…>`` in a route: ASCII digits only (``\\d`` also matches "٣"), and no more
    of them than a number SQLite can hold has; :func:`_within_sqlite` checks the value."""

    regex = r"[0-9]{1,19}"


def _within_sqlite(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A number in a URL beyond SQLite's integers names nothing: 404, whatever the method.
    (A converter's own maximum would make werkzeug answer 405 to a POST, as the GET
    route of the same path matches first.)"""
    for value in (values or {}).values():
        if isinstance(value, int) and value > SQLITE_MAX_INT:
            abort(404)


def _end_transaction(_exc: BaseException | None) -> None:
    """A request that failed halfway must not leave the reused connection in a transaction."""
    local = current_app.extensions["quiz.connections"]
    opened = getattr(local, "store", None)
    if opened is not None and not opened.rollback_if_open():
        local.store = None  # the connection is broken: open a new one next time


def _reuse_checked_csrf_token() -> None:
    """A form that passed the CSRF check (flask-wtf's, which runs first) carried a valid
    signed token: the page that answers it carries the same one instead of a token signed
    anew, which cost as much as the check itself. Only while tokens never expire
    (``WTF_CSRF_TIME_LIMIT`` None), so that an old signature is not handed on."""
    if not g.get("csrf_valid") or current_app.config["WTF_CSRF_TIME_LIMIT"] is not None:
        return
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    # Only the form's own field, which flask-wtf reads before anything else: a token
    # sent elsewhere (a header, a prefixed field) may not be the one it checked.
    token = request.form.get(field)
    if token:
        setattr(g, field, token)  # where flask_wtf.csrf.generate_csrf keeps this request's


def _start_clock() -> None:
    g.started = time.perf_counter()


def _security_headers(response: Response) -> Response:
    config = current_app.config
    if config["SERVER_TIMING"] and "started" in g:
        # The server's own time, for the benchmark and browser dev tools; off unless
        # asked for, as it tells anybody how long each request took.
        response.headers["Server-Timing"] = (
            f"app;dur={(time.perf_counter() - g.started) * 1000:.2f}"
        )
    # Only the pinned htmx file, not everything else its CDN host serves.
    scripts = "'self'" if config["HTMX_FILE"] else f"'self' {_script_source(config['HTMX_URL'])}"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # Attempt URLs carry their token: never send them to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.vary.add("HX-Request")
    if request.endpoint != "static" and request.endpoint != "htmx_file":
        response.headers["Cache-Control"] = "no-store"
    return response


def _script_source(url: str) -> str:
    """The full URL as a CSP source (a path not ending in / matches that file only);
    characters a CSP source cannot hold are percent-encoded."""
    if "://" not in url:
        return "'self'"
    return re.sub(r"[;,\s]", lambda m: f"%{ord(m.group()):02X}", url)


def _error_page(exc: HTTPException) -> Response:
    code = exc.code or 500
    custom = exc.description != type(exc).description
    message = exc.description if custom else MESSAGES.get(code, MESSAGES[500])
    if isinstance(exc, CSRFError):
        message = CSRF_MESSAGE
    if code == 413 and not custom and request.path.startswith("/instructor/"):
        message = (
            f"The file is too large: an import reads files up to "
            f"{moodle.MAX_FILE_BYTES // 1024 // 1024} MB. Split it, or export it from Moodle "
            "without its media files."
            if request.path.startswith("/instructor/import")
            else "That is too large to save here: the editor accepts up to "
            f"{current_app.config['EDITOR_MAX_CONTENT_LENGTH'] // 1024 // 1024} MB."
        )
    if code >= 500:
        current_app.logger.error("%s on %s %s", code, request.method, request.path)
    page = render("error.html", status=code, code=code, message=message)
    if getattr(exc, "retry_after", None) is not None:  # a 429 or 503 that says when
        page.headers["Retry-After"] = str(exc.retry_after)
    return page


STORAGE_MESSAGES = {
    "readonly": "The site cannot save anything right now because its storage is read-only. "
    "Everything saved before is safe; please try again later.",
    "full": "The site cannot save anything right now because its storage is full. "
    "Everything saved before is safe; please try again later.",
    "locked": "The site is too busy to save that right now. Please try again in a moment.",
}


def _storage_error(exc: StorageUnavailable) -> Response:
    current_app.logger.error(
        "storage %s on %s %s: %s", exc.kind, request.method, request.path, exc.__cause__ or exc
    )
    response = render("error.html", status=503, code=503, message=STORAGE_MESSAGES[exc.kind])
    response.headers["Retry-After"] = "60"
    return response


def _unexpected_error(exc: Exception) -> Response:
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    return _error_page(InternalServerError())


# Every CSV download starts with a UTF-8 byte-order mark: without it Excel reads the
# file in the machine's legacy code page and mangles non-ASCII names; LibreOffice and
# Google Sheets take the mark as the UTF-8 signature it is.
CSV_BOM = "\ufeff"


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def download(body: str | Iterable[str], mimetype: str, filename: str) -> Response:
    """A file to save rather than a page to show (``body`` may be a generator, streamed)."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_text(header: list[str], rows: Iterable[list[Any]]) -> str:
    """A whole CSV file as text, with the byte-order mark first."""
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def csv_stream(
    header: list[str], rows: Callable[[Store], Iterable[list[Any]]], filename: str
) -> Response:
    """CSV written row by row as the client reads it: memory stays flat however many rows.

    ``rows`` gets a store of the stream's own, which lives as long as the stream
    does (the request's connection is reused by the next request meanwhile).
    """
    path = current_app.config["DATABASE"]

    def generate() -> Iterator[str]:
        db = Store(path)
        try:
            buffer = io.StringIO()
            buffer.write(CSV_BOM)  # once, in the first chunk
            writer = csv.writer(buffer)
            writer.writerow(header)
            for n, row in enumerate(rows(db), start=1):
                writer.writerow(row)
                if n % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
        finally:
            db.close()

    return download(generate(), "text/csv", filename)


def dated(name: str, extension: str) -> str:
    """A download's file name with today's date: name-2026-11-29.csv."""
    return f"{name}-{datetime.now(UTC).strftime('%Y-%m-%d')}.{extension}"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when(stamp: str | None, missing: str = "—") -> Markup | str:
    """A stored timestamp as ``<time>`` naming its zone, UTC, with the exact instant in
    ``datetime``; ``static/local-time.js`` then shows it in the viewer's own zone.

    Non-breaking spaces keep "29 Nov 2026" and "21:40 UTC" whole: a narrow column
    breaks the text only after the comma. Stamps without an offset are taken as UTC
    (the store writes UTC); text that is not a timestamp is shown as it is.
    """
    if not stamp:
        return missing
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return str(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    date = f"{moment.day}&nbsp;{MONTHS[moment.month - 1]}&nbsp;{moment.year}"
    return Markup(
        f'<time datetime="{moment:%Y-%m-%dT%H:%M:%S}Z" data-local>'
        f"{date}, {moment:%H:%M}&nbsp;UTC</time>"
    )


def percent_label(fraction: float) -> str:
    return f"{percent(fraction)}%"


def percent_tenth_label(fraction: float) -> str:
    """A 0..1 score as a percentage to a tenth, rounded half up: 0.41475 is '41.5%'."""
    tenths = math.floor(round(1000 * fraction, 9) + 0.5)
    return f"{tenths // 10}.{tenths % 10}%"


def _page_globals() -> dict[str, str]:
    config = current_app.config
    url = "/vendor/htmx.min.js" if config["HTMX_FILE"] else config["HTMX_URL"]
    days = int(config["RETENTION_DAYS"])
    years, rest = divmod(days, 365)
    kept = (
        f"{years} year{'s' if years != 1 else ''}"
        if years and not rest
        else f"{days} day{'s' if days != 1 else ''}"
    )
    return {"htmx_url": url, "htmx_integrity": config["HTMX_INTEGRITY"], "retention": kept}


def init_app(app: Flask) -> None:
    app.extensions["quiz.connections"] = threading.local()
    app.url_map.converters["int"] = AsciiInt  # before the blueprints add their routes
    app.url_value_preprocessor(_within_sqlite)
    app.teardown_appcontext(_end_transaction)
    if app.config["SERVER_TIMING"]:
        app.before_request(_start_clock)
    app.before_request(_reuse_checked_csrf_token)  # after CSRFProtect's check
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(StorageUnavailable, _storage_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.context_processor(_page_globals)
    app.add_template_filter(markdown, "markdown")
    app.add_template_filter(markdown_inline, "markdown_inline")
    app.add_template_filter(percent_label, "percent")
    app.add_template_filter(percent_tenth_label, "percent_tenth")
    app.add_template_filter(when, "when")

    if app.config["HTMX_FILE"]:

        @app.get("/vendor/htmx.min.js", endpoint="htmx_file")
        def htmx_file() -> Response:
            return send_file(app.config["HTMX_FILE"], mimetype="text/javascript", max_age=3600)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")
