"""The Statistics Office's console (blueprint `office`): waves, strata uploads, the questionnaire
preview, code batches sent once to the browser, opening and closing, and releases.

`operations` and `participation` hold what the pages need beyond `survey.waves`, `survey.issuing`
and `survey.releases`, which the command line shares.
"""
from flask import Blueprint, current_app, request

bp = Blueprint("office", __name__, url_prefix="/staff/office")

#: Pages that accept an upload larger than a respondent's page (the strata file, and its text
#: carried from the preview to the "create" step).
UPLOAD_ENDPOINTS = frozenset({"office.new_wave"})


def upload_limits() -> None:
    """Raise the request size limits for the upload pages only; registered before CSRF protection
    reads the form, so that a strata file is not refused as too large before its view runs."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        limit = int(current_app.config["STRATA_UPLOAD_BYTES"])
        request.max_content_length = limit
        request.max_form_memory_size = limit


from . import routes, routes_releases  # noqa: E402,F401  (registers the views)
