"""Error pages for paths under /staff: a staff page (auth/error.html) instead of the respondent's
"please try again" page or Flask's bare HTML.

The app-wide error handlers live in survey.respond.routes (Flask keeps one per exception class);
they hand a staff path to `staff_error`. As on the respondent pages, a failure leaves no trace: the
app logger is off (survey._silence_request_logging), the transaction is rolled back, and the page
names neither the path nor anything that was sent.
"""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..database import rollback_quietly

#: The kinds the page words itself; any other refusal gets `refused` with its own status.
KINDS = {404: "not_found", 405: "method", 400: "bad_request"}


def is_staff_path() -> bool:
    return request.path == "/staff" or request.path.startswith("/staff/")


def staff_error(error: Exception):
    """The staff error page for `error`, with its status (500 for anything unexpected)."""
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        kind = "csrf" if isinstance(error, CSRFError) else KINDS.get(error.code or 500, "refused")
        headers = [(name, value) for name, value in error.get_headers() if name == "Allow"]
        return render_template("auth/error.html", kind=kind), error.code, headers
    if current_app.debug:
        raise error
    rollback_quietly()
    return render_template("auth/error.html", kind="failed"), 500
