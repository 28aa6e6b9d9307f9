"""The result page of a finished attempt: the report that ``report.build`` assembles."""

from __future__ import annotations

from flask import Response, redirect, request, url_for

from .. import attempts, report
from ..web import is_htmx, render, render_fragment, store
from . import bp, load_attempt


@bp.get("/a/<token>/result")
def result(token: str) -> Response:
    attempt = load_attempt(token)
    if not attempt.finished:
        return redirect(url_for("taker.finish", token=token), code=303)
    context = report.build(
        attempt,
        attempts.items(store(), attempt),
        show=request.args.get("show", "all"),
        percentile_counts=store().percentile_counts,
        expand=request.args.get("expand") == "1",
    )
    if is_htmx() and request.headers.get("HX-Target") == "review":
        return render_fragment("result.html", "review", **context)
    return render("result.html", **context)
