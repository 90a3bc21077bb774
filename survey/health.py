"""`GET /healthz` for load balancers: "ok" or "unavailable", and nothing else.

It says whether this node can serve respondents (its database answers and has the schema this
code needs), never why not, how many answers there are, which version runs, or anything about
a code. It reads no session and writes nothing.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app

from . import readiness

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Response:
    try:
        readiness.check(current_app._get_current_object(), "schema")
        body, status = "ok\n", 200
    except Exception:  # noqa: BLE001  (any failure means: send no one here)
        body, status = "unavailable\n", 503
    return Response(body, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})
