"""The console's release pages: run a release with the key's passphrase, read it in the page,
download its files, and the release log. Releases are the only way anything about answers leaves
the system (G3); these pages show only what a release published."""
from __future__ import annotations

import mimetypes

from flask import Response, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.access import require_roles
from ..crypto import KeyProblem, WrongPassphrase
from ..extensions import db
from ..models import Release, Wave
from ..releases import ReleaseRefused
from ..waves import WaveError
from . import bp
from .forms import ReleaseForm
from .operations import release_bytes, run_release, shown_release


@bp.route("/waves/<int:wave_id>/release", methods=["GET", "POST"])
@require_roles("office")
def release(wave_id: int):
    found = db.session.get(Wave, wave_id) or abort(404)
    form = ReleaseForm()
    message = None
    if found.state == "draft":
        message = _("Eine Befragung im Entwurf hat keine Antworten, die veröffentlicht werden könnten.")
    elif form.validate_on_submit():
        try:
            result = run_release(found.id, form.passphrase.data, min_count=form.min_count.data, lang=form.lang.data,
                                 year=form.year.data)
        except WrongPassphrase:
            db.session.rollback()
            message = _("Die Passphrase öffnet den Schlüssel der Statistikstelle nicht. Es wurde nichts veröffentlicht.")
        except (ReleaseRefused, WaveError, KeyProblem, ValueError) as exc:
            db.session.rollback()
            message = str(exc)
        else:
            return redirect(url_for(".release_view", release_id=result.release.id))
    form.passphrase.data = ""  # never sent back to the browser
    status = 400 if message and found.state != "draft" or form.errors else 200
    return render_template("office/release.html", wave=found, form=form, message=message), status


@bp.route("/releases")
@require_roles("office")
def releases():
    rows = db.session.scalars(select(Release).order_by(Release.id)).all()
    return render_template("office/releases.html", releases=rows)


@bp.route("/releases/<int:release_id>")
@require_roles("office")
def release_view(release_id: int):
    found = db.session.get(Release, release_id) or abort(404)
    return render_template("office/release_view.html", release=found, shown=shown_release(found),
                           parameters=found.parameters)


@bp.route("/releases/<int:release_id>/files/<name>")
@require_roles("office")
def release_download(release_id: int, name: str):
    """A published file, only while its bytes match the hash in the release log."""
    found = db.session.get(Release, release_id) or abort(404)
    data = release_bytes(found, name)
    if data is None:
        abort(404)
    headers = {} if name.endswith(".svg") else {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream", headers=headers)
