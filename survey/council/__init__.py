"""The central staff council's (GPR) area: review and approval of a wave's exact configuration (G5),
the anonymity audit as a page, the release log and the staff log (blueprint `council`).

`operations` holds what the command line and these pages share.
"""
from flask import Blueprint

bp = Blueprint("council", __name__, url_prefix="/staff/council")

from . import routes  # noqa: E402,F401  (registers the views)
