"""The anonymous employee flow: code, questionnaire pages, review, submit (blueprint `respond`)."""
from flask import Blueprint

bp = Blueprint("respond", __name__)

from . import routes  # noqa: E402,F401  (registers the views)
