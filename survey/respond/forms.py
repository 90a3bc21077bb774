"""Forms of the respondent flow, built from the questionnaire definition (house rule 7)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from questionnaires import PREFER_NOT, Question

FIELD_PREFIX = "q_"


class CodeForm(FlaskForm):
    code = StringField(_l("Ihr Code"), validators=[DataRequired(_l("Bitte geben Sie Ihren Code ein.")), Length(max=64)])


class SubmitAnswersForm(FlaskForm):
    """The review page's submit button; its only content is the CSRF token."""


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _prefer_not_alone(_form: FlaskForm, field: Field) -> None:
    if field.data and PREFER_NOT in field.data and len(field.data) > 1:
        raise ValidationError(_l("„Keine Angabe“ kann nicht mit anderen Antworten kombiniert werden."))


class PageForm(FlaskForm):
    """Base class of the per-page forms; `back` and `next` both keep the answers given so far."""

    back = SubmitField(_l("Zurück"))
    next = SubmitField(_l("Weiter"))


def page_form(questions: Iterable[Question], text_of, answers: Mapping[str, object], formdata=None) -> PageForm:
    """A form with one optional field per visible question of a page; nothing is ever required (G2)."""

    class _Page(PageForm):
        pass

    data: dict[str, object] = {}
    for question in questions:
        choices = [SelectChoice(option.code, text_of(option.text)) for option in question.options]
        name = FIELD_PREFIX + question.id
        if question.is_multi:
            field = CheckboxesField(text_of(question.text), choices=choices, validators=[Optional(), _prefer_not_alone])
        else:
            field = RadioField(text_of(question.text), choices=choices, validators=[Optional()])
        setattr(_Page, name, field)
        if question.id in answers:
            data[name] = answers[question.id]
    if formdata is None:
        return _Page(data=data, formdata=None)
    return _Page(formdata=formdata)


def answers_from(form: PageForm, questions: Iterable[Question]) -> dict[str, object]:
    """The page's answers as stored in the session: a code, a list of codes, or nothing when skipped."""
    result: dict[str, object] = {}
    for question in questions:
        value = form[FIELD_PREFIX + question.id].data
        if question.is_multi:
            if value:
                result[question.id] = list(value)
        elif value:
            result[question.id] = value
    return result
