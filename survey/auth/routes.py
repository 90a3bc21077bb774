"""Views of the staff login: thin; checks and writes happen in operations, the login in access."""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from . import bp
from .access import begin_enrolment, current_staff, enrolling_account_id, log_in, log_out, require_roles
from .forms import EnrolForm, LoginForm, LogoutForm
from .operations import LoginRefused, authenticate, confirm_second_factor, log_logout, pending_enrolment
from .qr import qr_data_uri


def _refusal(error: LoginRefused) -> str:
    if error.kind == "wait":
        return _("Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie %(seconds)s Sekunden und versuchen Sie "
                 "es dann erneut.", seconds=error.wait)
    if error.kind == "second_factor":
        return _("Der Einmalcode stimmt nicht. Bitte nehmen Sie den aktuellen Code aus Ihrer Authenticator-App.")
    if error.kind == "disabled":
        return _("Dieses Konto ist gesperrt. Bitte wenden Sie sich an die Kontoverwaltung.")
    return _("Benutzername oder Passwort stimmen nicht.")


def _safe_next(target: str | None) -> str:
    """Only a staff page of this site: anything else would make the login page an open redirect."""
    if target and target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return url_for("auth.index")


@bp.errorhandler(CSRFError)
def _csrf_error(_error: CSRFError):
    form = LoginForm(formdata=None)
    message = _("Das Formular war veraltet oder unvollständig (Sicherheitsmerkmal fehlt). Es wurde nichts "
                "ausgeführt. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.")
    return render_template("auth/login.html", form=form, message=message), 400


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET" and current_staff() is not None:
        return redirect(url_for("auth.index"))
    form = LoginForm()
    message = None
    status = 200
    if form.validate_on_submit():
        try:
            account = authenticate(form.name.data, form.password.data, form.code.data or "")
        except LoginRefused as refused:
            if refused.kind == "enrol" and refused.account_id is not None:
                begin_enrolment(refused.account_id)
                return redirect(url_for("auth.enrol"))
            message = _refusal(refused)
            status = 429 if refused.kind == "wait" else 401
        else:
            log_in(account)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "GET" and (request.args.get("expired") or g.get("staff_expired")):
        message = _("Sie waren 30 Minuten nicht aktiv und wurden abgemeldet. Bitte melden Sie sich erneut an.")
    elif form.errors:
        status = 400
    return render_template("auth/login.html", form=form, message=message), status


@bp.route("/enrol", methods=["GET", "POST"])
def enrol():
    """First login of an account that needs a second factor: the QR code, until one code confirms it."""
    account_id = enrolling_account_id()
    pending = pending_enrolment(account_id) if account_id is not None else None
    if pending is None:
        if current_staff() is not None:  # logged in already: nothing to enrol, and no reason to log out
            return redirect(url_for("auth.index"))
        log_out()
        return redirect(url_for("auth.login"))
    account, enrolment = pending
    form = EnrolForm()
    message = None
    status = 200
    if form.validate_on_submit():
        try:
            account = confirm_second_factor(account.id, form.code.data)
        except LoginRefused as refused:
            message = _refusal(refused)
            status = 429 if refused.kind == "wait" else 401
        else:
            log_in(account)
            return redirect(url_for("auth.index"))
    elif form.errors:
        status = 400
    return render_template("auth/enrol.html", form=form, message=message, uri=enrolment.uri,
                           qr=qr_data_uri(enrolment.uri), secret=enrolment.secret), status


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        account = current_staff()
        if account is not None:
            log_logout(account.name)
        log_out()
    return redirect(url_for("auth.login", out="1"))


@bp.route("/")
@require_roles()
def index():
    return render_template("auth/index.html", account=current_staff(), logout_form=LogoutForm())
