"""The council's pages: thin; decisions go through operations, like `wir-survey waves approve`."""
from __future__ import annotations

import json

from flask import abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.access import current_staff, require_roles
from ..extensions import db
from ..models import Release, StaffLogEntry, Wave
from ..waves import WaveError, list_waves, questionnaire_of
from . import bp
from .forms import DecisionForm
from .operations import approval_state, configuration, configuration_hash, decide


@bp.route("/")
@require_roles("council")
def index():
    waves = [(wave, approval_state(wave)) for wave in list_waves()]
    return render_template("council/index.html", waves=waves)


@bp.route("/waves/<int:wave_id>", methods=["GET", "POST"])
@require_roles("council")
def wave(wave_id: int):
    found = db.session.get(Wave, wave_id) or abort(404)
    shown = configuration(found)
    form = DecisionForm()
    message = None
    if form.validate_on_submit():
        if form.configuration.data != configuration_hash(found, shown):
            message = _("Die Konfiguration hat sich geändert, während Sie sie gelesen haben. Bitte prüfen Sie sie "
                        "erneut; es wurde nichts entschieden.")
        else:
            try:
                decide(wave_id, current_staff().name, approve=bool(form.approve.data), comment=form.comment.data or "")
                return redirect(url_for(".wave", wave_id=wave_id))
            except WaveError:
                message = _("Eine Ablehnung braucht einen Kommentar, und entschieden wird nur über Entwürfe. Es wurde "
                            "nichts entschieden.")
    form.configuration.data = configuration_hash(found, shown)
    return render_template(
        "council/wave.html",
        wave=found,
        questionnaire=questionnaire_of(found),
        configuration=shown,
        configuration_json=json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True),
        hash=form.configuration.data,
        state=approval_state(found),
        form=form,
        message=message,
    ), (400 if message else 200)


@bp.route("/audit")
@require_roles("council")
def audit():
    from ..audit import run_audit

    report = run_audit(current_app._get_current_object())
    return render_template("council/audit.html", report=report)


@bp.route("/releases")
@require_roles("council")
def releases():
    rows = db.session.scalars(select(Release).order_by(Release.id)).all()
    return render_template("council/releases.html", releases=rows)


@bp.route("/log")
@require_roles("council")
def staff_log():
    from ..stafflog import verify

    entries = db.session.scalars(select(StaffLogEntry).order_by(StaffLogEntry.id.desc()).limit(500)).all()
    return render_template("council/log.html", entries=entries, verification=verify())
