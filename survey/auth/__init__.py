"""Staff accounts, roles and login (blueprint `auth`, under /staff).

Staff are not anonymous: their accounts have names, and what they do is logged. Their login lives
in the same encrypted cookie as a respondent's answers in progress, under its own key
(`session["staff"]`), and neither flow touches the other's keys.
"""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/staff")

from . import routes  # noqa: E402,F401  (registers the views)
