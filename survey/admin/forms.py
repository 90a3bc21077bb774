"""The account pages' forms; Flask-WTF adds the CSRF token to each."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import STAFF_ROLES

#: The roles as the interface names them (as on the staff landing page).
ROLE_LABELS = {
    "office": _l("Statistikstelle"),
    "council": _l("Gesamtpersonalrat"),
    "hr": _l("Personalmanagement"),
    "admin": _l("Kontoverwaltung"),
}


class RoleCheckboxes(SelectMultipleField):
    """The roles as checkboxes: works without JavaScript, and an unknown role is refused."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        if any(value not in STAFF_ROLES for value in self.data or ()):  # only a tampered form; not echoed
            raise ValidationError(_l("Bitte wählen Sie nur aus den angebotenen Rollen."))


def _at_least_one_role(_form, field) -> None:
    if not field.data:
        raise ValidationError(_l("Bitte wählen Sie mindestens eine Rolle."))


def _roles_field() -> RoleCheckboxes:
    return RoleCheckboxes(_l("Rollen"), choices=[SelectChoice(role, ROLE_LABELS[role]) for role in STAFF_ROLES],
                          validators=[_at_least_one_role])


def _password_fields() -> tuple[PasswordField, PasswordField]:
    # The length limits are the policy's (check_policy), worded by the page like its other rules.
    password = PasswordField(_l("Passwort (mindestens 12 Zeichen)"), validators=[
        DataRequired(_l("Bitte geben Sie ein Passwort ein."))])
    confirm = PasswordField(_l("Passwort wiederholen"), validators=[
        EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein."))])
    return password, confirm


class CreateAccountForm(FlaskForm):
    name = StringField(_l("Benutzername"), filters=[lambda value: value.strip() if value else value], validators=[
        DataRequired(_l("Bitte geben Sie einen Benutzernamen ein.")),
        Length(max=80, message=_l("Ein Benutzername hat höchstens 80 Zeichen.")),
        Regexp(r"^\S+$", message=_l("Ein Benutzername enthält keine Leerzeichen.")),
    ])
    password, confirm = _password_fields()
    roles = _roles_field()
    create = SubmitField(_l("Konto anlegen"))


class DisabledForm(FlaskForm):
    """One of the two buttons, whichever fits the account's state, says what is wanted."""

    disable = SubmitField(_l("Konto sperren"))
    enable = SubmitField(_l("Konto entsperren"))


class PasswordForm(FlaskForm):
    password, confirm = _password_fields()
    save_password = SubmitField(_l("Neues Passwort setzen"))


class RolesForm(FlaskForm):
    roles = _roles_field()
    save_roles = SubmitField(_l("Rollen speichern"))
