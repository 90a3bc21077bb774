"""Forms of the staff login; Flask-WTF adds the CSRF token to each."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    name = StringField(_l("Benutzername"), validators=[DataRequired(_l("Bitte geben Sie Ihren Benutzernamen ein.")),
                                                       Length(max=80)])
    password = PasswordField(_l("Passwort"), validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein.")),
                                                         Length(max=256)])
    code = StringField(_l("Einmalcode (nur Statistikstelle und Gesamtpersonalrat)"),
                       validators=[Optional(), Length(max=12)])
    submit = SubmitField(_l("Anmelden"))


class LogoutForm(FlaskForm):
    """Logging out is a POST with the CSRF token, so no other site can log a staff member out."""

    submit = SubmitField(_l("Abmelden"))


class EnrolForm(FlaskForm):
    """The first one-time code from the authenticator app, which proves it holds the secret."""

    code = StringField(_l("Einmalcode aus der App"), validators=[DataRequired(_l("Bitte geben Sie den Einmalcode ein.")),
                                                                 Length(max=12)])
    submit = SubmitField(_l("Bestätigen und anmelden"))
