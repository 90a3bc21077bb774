"""The trust pages: static text with the instance's facts; nothing here reads or writes the database."""
from __future__ import annotations

from flask import render_template

from . import bp


@bp.route("/accessibility")
def accessibility():
    return render_template("info/accessibility.html")


@bp.route("/privacy")
def privacy():
    return render_template("info/privacy.html")


@bp.route("/imprint")
def imprint():
    return render_template("info/imprint.html")


@bp.route("/contact")
def contact():
    return render_template("info/contact.html")
