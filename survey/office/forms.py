"""Forms of the Statistics Office's console; Flask-WTF adds the CSRF token to each."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, PasswordField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from aggregation.rules import MIN_COUNT_DEFAULT, MIN_COUNT_FLOOR

from ..i18n import LANGUAGE_NAMES, LANGUAGES

#: Languages a motivational message can be written in: every respondent language. Where a
#: language has none, the welcome page shows the German one.
MESSAGE_LANGUAGES = LANGUAGES


def message_field_name(language: str) -> str:
    return "message_" + language.replace("-", "_")


class _Messages:
    """One text field per language for the motivational message (mayor, department heads, GPR)."""

    message_de = TextAreaField(_l("Botschaft auf Deutsch"), validators=[Optional(), Length(max=2000)])
    message_en = TextAreaField(_l("Botschaft auf Englisch"), validators=[Optional(), Length(max=2000)])

    results_date = DateField(_l("Ergebnisse erscheinen voraussichtlich am (für die Dankeseite)"), validators=[Optional()])
    results_where = StringField(_l("Ergebnisse erscheinen unter (Ort oder Adresse, für die Dankeseite)"),
                                validators=[Optional(), Length(max=300)])

    def message_fields(self) -> list:
        return [self[message_field_name(language)] for language in MESSAGE_LANGUAGES]

    def messages(self) -> dict[str, str]:
        found = {lang: (self[message_field_name(lang)].data or "").strip() for lang in MESSAGE_LANGUAGES}
        return {lang: text for lang, text in found.items() if text}

    def results(self) -> dict[str, str]:
        """When and where the results appear, as the thank-you page tells respondents."""
        return {"date": self.results_date.data.isoformat() if self.results_date.data else "",
                "where": self.results_where.data or ""}


for _language in MESSAGE_LANGUAGES:
    if not hasattr(_Messages, message_field_name(_language)):
        setattr(_Messages, message_field_name(_language),
                TextAreaField(_l("Botschaft: %(language)s", language=LANGUAGE_NAMES[_language]),
                              validators=[Optional(), Length(max=2000)]))


class _Disclosure:
    min_count = IntegerField(_l("Mindestfallzahl k (Zellen mit 1 bis k−1 Personen bleiben geheim)"),
                             default=MIN_COUNT_DEFAULT,
                             validators=[DataRequired(), NumberRange(min=MIN_COUNT_FLOOR, max=1000)])
    min_stratum_size = IntegerField(_l("Mindestgröße einer Schicht (darunter werden keine Codes ausgegeben)"),
                                    validators=[DataRequired(), NumberRange(min=1, max=100000)])


class NewWaveForm(_Messages, _Disclosure, FlaskForm):
    questionnaire = SelectField(_l("Fragebogen"), validators=[DataRequired()])
    name = StringField(_l("Name der Befragung"), validators=[DataRequired(_l("Bitte geben Sie einen Namen an.")),
                                                             Length(max=200)])
    standing = BooleanField(_l("Dauerhafte Befragung neu Eingestellter (bleibt über Jahre offen, jährliche "
                               "Veröffentlichung; Kopfzahlen = erwartete Einstellungen je Jahr)"))
    strata_file = FileField(_l("Schichten (CSV: eine Spalte je Merkmal, dazu „headcount“)"))
    # The uploaded file's text, carried from the preview to the "create" step (no upload twice).
    strata_text = TextAreaField(render_kw={"hidden": True}, validators=[Optional(), Length(max=1_000_000)])
    strata_name = StringField(render_kw={"hidden": True}, validators=[Optional(), Length(max=200)])
    preview = SubmitField(_l("Vorschau"))
    create = SubmitField(_l("Befragung anlegen"))


class EditWaveForm(_Messages, _Disclosure, FlaskForm):
    name = StringField(_l("Name der Befragung"), validators=[DataRequired(_l("Bitte geben Sie einen Namen an.")),
                                                             Length(max=200)])
    save = SubmitField(_l("Änderungen speichern"))


class ActionForm(FlaskForm):
    """A button that changes a wave's state (open, close): a POST with the CSRF token."""

    submit = SubmitField()


class IssueForm(FlaskForm):
    stratum = SelectField(_l("Schicht"), coerce=int, validators=[DataRequired()])
    count = IntegerField(_l("Anzahl der Codes"), validators=[DataRequired(), NumberRange(min=1, max=100000)])
    format = RadioField(_l("Format"), choices=[SelectChoice("pdf", _l("PDF: Zettel zum Ausdrucken, acht je Seite")),
                                               SelectChoice("csv", _l("CSV: Code und Adresse für den Serienbrief"))],
                        default="pdf", validators=[DataRequired()])
    submit = SubmitField(_l("Codes erzeugen und herunterladen"))


class ReleaseForm(FlaskForm):
    passphrase = PasswordField(_l("Passphrase des Schlüssels der Statistikstelle"),
                               validators=[DataRequired(_l("Bitte geben Sie die Passphrase ein.")), Length(max=1024)])
    min_count = IntegerField(_l("Mindestfallzahl k (nur höher als die freigegebene)"),
                             validators=[Optional(), NumberRange(min=MIN_COUNT_FLOOR, max=1000)])
    year = IntegerField(_l("Jahr der Neueinstellungen (nur dauerhafte Befragung)"),
                        validators=[Optional(), NumberRange(min=2000, max=2100)])
    lang = SelectField(_l("Sprache der Tabellen"), choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")], default="de")
    submit = SubmitField(_l("Veröffentlichung erstellen"))
