"""Pages every public site owes its readers: accessibility statement, privacy notice, imprint, contact.

Each is filled from the instance configuration (`CITY_NAME`, `OPERATOR`, `CONTACT_*`, ...; see
survey.config), so an operator states the facts once and every language shows them."""
from flask import Blueprint

bp = Blueprint("info", __name__)

from . import routes  # noqa: E402,F401  (registers the views)
