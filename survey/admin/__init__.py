"""Account administration (role `admin`): staff accounts and their roles, as pages (blueprint
`admin`, under /staff/admin). The role sees no survey data; these pages read and write nothing but
staff accounts, each change through survey.auth.operations like `wir-survey users`, so it enters
the staff log under the administrator's name.

The blueprint is exempt from CSRFProtect's check before every request, and checks the token in each
view instead, right after the role (routes.admin_view): someone without the role gets 403 or the
login page for a POST, as for a GET, instead of a 400 that would say nothing about the role.
"""
from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("admin", __name__, url_prefix="/staff/admin")
csrf.exempt(bp)

from . import routes  # noqa: E402,F401  (registers the views)
