"""The console's wave pages: thin; checks and writes happen in survey.waves and survey.issuing,
which the command line shares, and every change enters the staff log there."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from wtforms.fields.choices import SelectChoice

from ..auth.access import current_staff, require_roles
from ..council.operations import approval_state, configuration
from ..extensions import db
from ..i18n import speaking
from ..issuing import issue_download
from ..models import Stratum, Wave
from ..respond.forms import page_form
from ..respond.pages import pages_of
from ..waves import (WaveError, close_wave, create_wave, list_waves, minimum_stratum_size, open_wave, questionnaire_of,
                     update_wave)
from . import bp
from .forms import MESSAGE_LANGUAGES, ActionForm, EditWaveForm, IssueForm, NewWaveForm, message_field_name
from .operations import questionnaires, strata_preview
from .participation import participation


def _wave(wave_id: int) -> Wave:
    return db.session.get(Wave, wave_id) or abort(404)


@bp.route("/")
@require_roles("office")
def index():
    rows = [(wave, approval_state(wave), participation(wave)) for wave in list_waves()]
    return render_template("office/index.html", rows=rows)


@bp.route("/waves/new", methods=["GET", "POST"])
@require_roles("office")
def new_wave():
    """Upload → preview (the strata as the wave would hold them, and the refusals) → create."""
    available = questionnaires()
    form = NewWaveForm()
    form.questionnaire.choices = [SelectChoice(q.id, f"{q.text(q.title, 'de')} ({q.id} v{q.version})")
                                  for q in available.values()]
    if request.method == "GET":
        form.min_stratum_size.data = form.min_stratum_size.data or minimum_stratum_size()
    preview, message = None, None
    if form.validate_on_submit():
        upload = form.strata_file.data
        if upload and getattr(upload, "filename", ""):
            form.strata_name.data = upload.filename
            form.strata_text.data = upload.read().decode("utf-8-sig", errors="replace")
        try:
            if not form.strata_text.data:
                raise WaveError(_("Bitte laden Sie die Datei mit den Schichten hoch."))
            preview = strata_preview(form.strata_text.data, form.strata_name.data or "strata.csv",
                                     form.min_stratum_size.data)
            if form.create.data:
                wave = create_wave(available[form.questionnaire.data], form.name.data, preview.rows, form.messages(),
                                   min_count=form.min_count.data, min_stratum_size=form.min_stratum_size.data,
                                   standing=bool(form.standing.data), results=form.results())
                return redirect(url_for(".wave", wave_id=wave.id))
        except WaveError as exc:
            message = str(exc)
            if preview is None:
                form.strata_text.data = ""  # a file that cannot be used is not carried on
    status = 400 if message or form.errors else 200
    return render_template("office/new_wave.html", form=form, preview=preview, message=message), status


@bp.route("/waves/<int:wave_id>")
@require_roles("office")
def wave(wave_id: int):
    found = _wave(wave_id)
    return render_template("office/wave.html", wave=found, state=approval_state(found),
                           configuration=configuration(found), participation=participation(found),
                           action=ActionForm(), message=request.args.get("problem"))


@bp.route("/waves/<int:wave_id>/edit", methods=["GET", "POST"])
@require_roles("office")
def edit_wave(wave_id: int):
    found = _wave(wave_id)
    if found.state != "draft":
        return redirect(url_for(".wave", wave_id=wave_id))
    form = EditWaveForm(obj=None if request.method == "POST" else found)
    if request.method == "GET":
        for language in MESSAGE_LANGUAGES:
            form[message_field_name(language)].data = found.messages.get(language, "")
        form.results_date.data = date.fromisoformat(found.results["date"]) if "date" in found.results else None
        form.results_where.data = found.results.get("where", "")
    message = None
    if form.validate_on_submit():
        try:
            update_wave(wave_id, name=form.name.data, messages=form.messages(), min_count=form.min_count.data,
                        min_stratum_size=form.min_stratum_size.data, results=form.results())
            return redirect(url_for(".wave", wave_id=wave_id))
        except WaveError as exc:
            message = str(exc)
    status = 400 if message or form.errors else 200
    return render_template("office/edit_wave.html", wave=found, form=form, message=message), status


@bp.route("/waves/<int:wave_id>/open", methods=["POST"])
@require_roles("office")
def open_(wave_id: int):
    return _change_state(wave_id, open_wave)


@bp.route("/waves/<int:wave_id>/close", methods=["POST"])
@require_roles("office")
def close(wave_id: int):
    return _change_state(wave_id, close_wave)


def _change_state(wave_id: int, operation):
    found = _wave(wave_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        operation(found.id)
    except WaveError as exc:
        db.session.rollback()
        return render_template("office/wave.html", wave=found, state=approval_state(found),
                               configuration=configuration(found), participation=participation(found),
                               action=ActionForm(), message=str(exc)), 409
    return redirect(url_for(".wave", wave_id=wave_id))


@bp.route("/waves/<int:wave_id>/codes", methods=["GET", "POST"])
@require_roles("office")
def codes(wave_id: int):
    """A batch's print file goes to the browser in this response and nowhere else."""
    found = _wave(wave_id)
    form = IssueForm()
    form.stratum.choices = [SelectChoice(s.id, f"{s.label} ({s.headcount})") for s in found.strata]
    message = None
    if form.validate_on_submit():
        stratum = db.session.get(Stratum, form.stratum.data)
        try:
            if stratum is None or stratum.wave_id != found.id:
                raise WaveError(_("Diese Schicht gehört nicht zu dieser Befragung."))
            printed = issue_download(found.id, stratum.attributes, form.count.data, form.format.data)
        except WaveError as exc:
            message = str(exc)
        else:
            return Response(printed.data, mimetype=printed.mimetype, headers={
                "Content-Disposition": f'attachment; filename="{printed.filename}"',
                "Cache-Control": "no-store",
            })
    status = 400 if message or form.errors else 200
    return render_template("office/codes.html", wave=found, form=form, message=message,
                           participation=participation(found)), status


@bp.route("/waves/<int:wave_id>/preview")
@require_roles("office", "council")
def preview(wave_id: int):
    """Every page of the questionnaire as respondents see it, in the chosen language, without the
    conditions applied (a note says when a question is shown)."""
    found = _wave(wave_id)
    questionnaire = questionnaire_of(found)
    lang = request.args.get("language", "de")
    if lang not in questionnaire.languages:
        lang = questionnaire.languages[0]
    pages = []
    for sections in pages_of(questionnaire):
        questions = [q for s in sections for q in s.questions]
        pages.append(([(s, list(s.questions)) for s in sections], page_form(questionnaire, questions, lang, {})))
    with speaking(lang):  # the interface's own words too, as far as its catalogues reach
        return render_template("office/preview.html", wave=found, questionnaire=questionnaire, qlang=lang,
                               text=lambda mapping: questionnaire.text(mapping, lang), pages=pages,
                               message=found.messages.get(lang) or found.messages.get("de"),
                               is_office="office" in current_staff().roles)
