"""Forms of HR's area: figures in percent like the plan; every change needs its reason."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

_REASON = [DataRequired(_l("Bitte sagen Sie, warum sich der Plan ändert.")), Length(max=1000)]


def _percent(label):
    return FloatField(label, validators=[Optional(), NumberRange(min=0, max=100)])


class GroupForm(FlaskForm):
    baseline = _percent(_l("Ausgangswert b (%)"))
    target = _percent(_l("Ziel t (%)"))
    hires = _percent(_l("Anteil der Neueinstellungen laut Plan (%)"))
    headcount = FloatField(_l("Beschäftigte N"), validators=[Optional(), NumberRange(min=1)])
    vacancies = FloatField(_l("Freiwerdende Stellen V bis zum Zieldatum"), validators=[Optional(), NumberRange(min=1)])
    reason = StringField(_l("Grund der Änderung"), validators=_REASON)
    submit = SubmitField(_l("Als neue Fassung speichern"))


class AdoptForm(FlaskForm):
    estimate = RadioField(_l("Veröffentlichte Schätzung"), validators=[DataRequired()])
    kind = RadioField(_l("Spanne"), default="interval", choices=[
        SelectChoice("interval", _l("95-%-Konfidenzintervall")),
        SelectChoice("bounds", _l("Grenzen, wenn alle, die nicht geantwortet haben, nein / ja gesagt hätten")),
    ], validators=[DataRequired()])
    reason = StringField(_l("Grund der Änderung"), validators=_REASON)
    submit = SubmitField(_l("Als Ausgangswert übernehmen"))
