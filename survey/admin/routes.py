"""The account pages: thin; every change goes through operations, like `wir-survey users`."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth.access import current_staff, require_roles
from ..auth.operations import AccountError, list_accounts
from ..auth.passwords import MAX_LENGTH, MIN_LENGTH, PasswordRejected
from ..extensions import db
from ..models import StaffAccount
from . import bp
from .forms import ROLE_LABELS, CreateAccountForm, DisabledForm, PasswordForm, RolesForm
from .operations import Refused, change_disabled, change_password, change_roles, create, second_factor_state


def _password_refusal(error: PasswordRejected) -> str:
    if error.rule == "too_short":
        return _("Das Passwort muss mindestens %(count)s Zeichen haben.", count=MIN_LENGTH)
    if error.rule == "too_long":
        return _("Das Passwort darf höchstens %(count)s Zeichen haben.", count=MAX_LENGTH)
    if error.rule == "contains_name":
        return _("Das Passwort darf den Benutzernamen nicht enthalten.")
    return _("Dieses Passwort gehört zu den häufigsten und ist zu leicht zu erraten. Bitte wählen Sie ein anderes.")


def _refusal(error: Refused) -> str:
    if error.kind == "self_disable":
        return _("Sie können Ihr eigenes Konto nicht sperren: sonst könnte womöglich niemand mehr Konten verwalten. "
                 "Es wurde nichts geändert.")
    if error.kind == "self_admin":
        return _("Sie können sich die Rolle Kontoverwaltung nicht selbst nehmen: sonst könnte womöglich niemand mehr "
                 "Konten verwalten. Es wurde nichts geändert.")
    return _("Es gibt schon ein Konto mit diesem Namen.")


def _done() -> str | None:
    """The confirmation after a change, by a fixed key: nothing from the request is shown."""
    return {
        "created": _("Das Konto ist angelegt."),
        "disabled": _("Das Konto ist gesperrt. Eine offene Anmeldung endet mit ihrer nächsten Seite."),
        "enabled": _("Das Konto ist entsperrt."),
        "password": _("Das neue Passwort ist gesetzt. Teilen Sie es der Person auf sicherem Weg mit."),
        "roles": _("Die Rollen sind gespeichert."),
    }.get(request.args.get("done", ""))


def _account_or_404(account_id: int) -> StaffAccount:
    return db.session.get(StaffAccount, account_id) or abort(404)


def _account_page(account: StaffAccount, *, password_form: PasswordForm | None = None,
                  roles_form: RolesForm | None = None, message: str | None = None, status: int = 200):
    """The account's page; after a refused change, with the form that failed and 400."""
    return render_template(
        "admin/account.html",
        account=account,
        second_factor=second_factor_state(account),
        role_labels=ROLE_LABELS,
        disabled_form=DisabledForm(formdata=None),
        password_form=password_form or PasswordForm(formdata=None),
        roles_form=roles_form or RolesForm(formdata=None, roles=list(account.roles)),
        message=message,
        done=_done() if status == 200 else None,
    ), status


@bp.route("/")
@require_roles("admin")
def index():
    accounts = [(account, second_factor_state(account)) for account in list_accounts()]
    return render_template("admin/index.html", accounts=accounts, role_labels=ROLE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@require_roles("admin")
def create_account():
    form = CreateAccountForm()
    message = None
    if form.validate_on_submit():
        try:
            account = create(form.name.data, form.password.data, form.roles.data, by=current_staff())
        except PasswordRejected as rejected:
            form.password.errors.append(_password_refusal(rejected))
        except Refused as refused:
            form.name.errors.append(_refusal(refused))
        except AccountError:
            message = _("Das Konto konnte nicht angelegt werden. Bitte prüfen Sie die Angaben; es wurde nichts "
                        "geändert.")
        else:
            return redirect(url_for(".account", account_id=account.id, done="created"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/create.html", form=form, message=message), status


@bp.route("/accounts/<int:account_id>")
@require_roles("admin")
def account(account_id: int):
    return _account_page(_account_or_404(account_id))


@bp.route("/accounts/<int:account_id>/disabled", methods=["POST"])
@require_roles("admin")
def set_disabled(account_id: int):
    found = _account_or_404(account_id)
    form = DisabledForm()
    if not form.validate_on_submit() or form.disable.data == form.enable.data:
        return _account_page(found, message=_("Bitte wählen Sie Sperren oder Entsperren. Es wurde nichts geändert."),
                             status=400)
    try:
        change_disabled(found, bool(form.disable.data), by=current_staff())
    except Refused as refused:
        return _account_page(found, message=_refusal(refused), status=400)
    return redirect(url_for(".account", account_id=found.id, done="disabled" if form.disable.data else "enabled"))


@bp.route("/accounts/<int:account_id>/password", methods=["POST"])
@require_roles("admin")
def reset_password(account_id: int):
    found = _account_or_404(account_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(found, form.password.data, by=current_staff())
        except PasswordRejected as rejected:
            form.password.errors.append(_password_refusal(rejected))
        else:
            return redirect(url_for(".account", account_id=found.id, done="password"))
    return _account_page(found, password_form=form, message=_("Das Passwort wurde nicht geändert."), status=400)


@bp.route("/accounts/<int:account_id>/roles", methods=["POST"])
@require_roles("admin")
def set_roles(account_id: int):
    found = _account_or_404(account_id)
    form = RolesForm()
    if form.validate_on_submit():
        try:
            change_roles(found, form.roles.data, by=current_staff())
        except Refused as refused:
            return _account_page(found, message=_refusal(refused), status=400)  # the roles as they still are
        return redirect(url_for(".account", account_id=found.id, done="roles"))
    return _account_page(found, roles_form=form, message=_("Die Rollen wurden nicht geändert."), status=400)
