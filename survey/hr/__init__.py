"""HR's area (blueprint `hr`, role `hr`): the quota plan of Measure 3 with every version kept, and
baselines revised from published survey estimates. HR sees releases and estimates, never responses.

`operations` holds what the `wir-survey quotas` commands and these pages share.
"""
from flask import Blueprint

bp = Blueprint("hr", __name__, url_prefix="/staff/hr")

from . import routes  # noqa: E402,F401  (registers the views)
