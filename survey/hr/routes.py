"""HR's pages: thin; every change goes through operations, like `wir-survey quotas`."""
from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from aggregation.plans import group_outlook
from aggregation.quotas import required_share

from ..auth.access import require_roles
from ..extensions import db
from ..models import Release
from . import bp
from .forms import AdoptForm, GroupForm
from .operations import PlanError, adopt, change, current, history, published_estimates, version

_PERCENT_FIELDS = ("baseline", "target", "hires")


@bp.route("/")
@require_roles("hr")
def index():
    shown = current()
    return render_template("hr/plan.html", shown=shown, outlook=group_outlook, latest=True)


@bp.route("/versions")
@require_roles("hr")
def versions():
    return render_template("hr/versions.html", versions=history())


@bp.route("/versions/<int:number>")
@require_roles("hr")
def plan_version(number: int):
    shown = version(number) or abort(404)
    return render_template("hr/plan.html", shown=shown, outlook=group_outlook, latest=False)


def _group(key: str):
    try:
        return current().plan.group(key)
    except KeyError:
        abort(404)


@bp.route("/groups/<key>", methods=["GET", "POST"])
@require_roles("hr")
def edit_group(key: str):
    group = _group(key)
    form = GroupForm()
    if request.method == "GET":
        for name in _PERCENT_FIELDS:
            value = getattr(group, name)
            getattr(form, name).data = None if value is None else round(value * 100, 4)
        form.headcount.data, form.vacancies.data = group.headcount, group.vacancies
    message = None
    if form.validate_on_submit():
        changes = {name: None if getattr(form, name).data is None else round(getattr(form, name).data / 100, 10)
                   for name in _PERCENT_FIELDS}
        changes.update(headcount=form.headcount.data, vacancies=form.vacancies.data)
        changes = {k: v for k, v in changes.items() if v != getattr(group, k)}
        try:
            change(key, changes, form.reason.data)
            return redirect(url_for(".index"))
        except PlanError as exc:
            message = str(exc)
    status = 400 if message or form.errors else 200
    return render_template("hr/group.html", group=group, form=form, message=message), status


@bp.route("/groups/<key>/baseline", methods=["GET", "POST"])
@require_roles("hr")
def adopt_baseline(key: str):
    """Replace the group's baseline by a published estimate; shows what h becomes at each end."""
    group = _group(key)
    releases = db.session.scalars(select(Release).order_by(Release.id.desc())).all()
    estimates = [e for release in releases for e in published_estimates(release)]
    form = AdoptForm()
    form.estimate.choices = [SelectChoice(f"{e.release_id}:{e.index}", e.label) for e in estimates]
    message = None
    if form.validate_on_submit():
        release_id, index = (int(part) for part in form.estimate.data.split(":"))
        try:
            adopt(key, release_id, index, form.kind.data, form.reason.data)
            return redirect(url_for(".index"))
        except PlanError as exc:
            message = str(exc)

    def required_at(share: float) -> float | None:
        if None in (group.target, group.headcount, group.vacancies):
            return None
        try:
            return required_share(share, group.target, group.headcount, group.vacancies)
        except ValueError:
            return None

    status = 400 if message or form.errors else 200
    return render_template("hr/adopt.html", group=group, form=form, estimates=estimates, message=message,
                           required_at=required_at), status


@bp.route("/monitoring")
@require_roles("hr")
def monitoring():
    from .monitoring import plan_monitor

    shown = current()
    return render_template("hr/monitoring.html", shown=shown, monitors=plan_monitor(shown.plan))


@bp.route("/monitoring.<any(xlsx, pdf):kind>")
@require_roles("hr")
def monitoring_report(kind: str):
    """The report as a download, made afresh from the current plan and the release log."""
    from .monitoring import report_bytes

    data, mimetype = report_bytes(kind, lang=get_locale().language if get_locale() else "de")
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="monitoring-measure-3.{kind}"'})
