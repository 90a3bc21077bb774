"""Forms of the respondent flow, built from the questionnaire definition (house rule 7)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from questionnaires import PREFER_NOT, Question, Questionnaire

FIELD_PREFIX = "q_"


class CodeForm(FlaskForm):
    code = StringField(_l("Ihr Code"), validators=[DataRequired(_l("Bitte geben Sie Ihren Code ein.")), Length(max=64)])


class SubmitAnswersForm(FlaskForm):
    """The review page's submit button; its only content is the CSRF token."""


def _prefer_not_alone(_form: FlaskForm, field: Field) -> None:
    if field.data and PREFER_NOT in field.data and len(field.data) > 1:
        raise ValidationError(_l("„Keine Angabe“ kann nicht mit anderen Antworten kombiniert werden."))


class PageForm(FlaskForm):
    """Base class of the per-page forms; `back` and `next` both keep the answers given so far."""

    back = SubmitField(_l("Zurück"))
    next = SubmitField(_l("Weiter"))


def page_form(
    questionnaire: Questionnaire, questions: Sequence[Question], lang: str, answers: Mapping[str, object], formdata=None
) -> PageForm:
    """A form with one optional field per visible question of a page; nothing is ever required (G2)."""
    form_class = _page_form_class(questionnaire, tuple(questions), lang)
    if formdata is not None:
        return form_class(formdata=formdata)
    data = {FIELD_PREFIX + q.id: answers[q.id] for q in questions if q.id in answers}
    return form_class(data=data, formdata=None)


#: Form classes by (questionnaire hash, visible questions, language): built once, not on every page view.
_FORM_CLASSES: dict[tuple[str, tuple[str, ...], str], type[PageForm]] = {}


def _page_form_class(questionnaire: Questionnaire, questions: tuple[Question, ...], lang: str) -> type[PageForm]:
    key = (questionnaire.hash, tuple(q.id for q in questions), lang)
    form_class = _FORM_CLASSES.get(key)
    if form_class is None:
        attributes: dict[str, Field] = {}
        for question in questions:
            label = questionnaire.text(question.text, lang)
            choices = [SelectChoice(o.code, questionnaire.text(o.text, lang)) for o in question.options]
            if question.is_multi:
                attributes[FIELD_PREFIX + question.id] = SelectMultipleField(
                    label, choices=choices, validators=[Optional(), _prefer_not_alone]
                )
            else:
                attributes[FIELD_PREFIX + question.id] = RadioField(label, choices=choices, validators=[Optional()])
        form_class = type("QuestionPageForm", (PageForm,), attributes)
        if len(_FORM_CLASSES) > 512:
            _FORM_CLASSES.clear()
        _FORM_CLASSES[key] = form_class
    return form_class


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
