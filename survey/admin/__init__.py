"""Account administration (role `admin`): staff accounts and their roles, as pages (blueprint
`admin`, under /staff/admin). The role sees no survey data; these pages read and write nothing but
staff accounts, each change through survey.auth.operations like `wir-survey users`, so it enters
the staff log under the administrator's name.
"""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/staff/admin")

from . import routes  # noqa: E402,F401  (registers the views)
