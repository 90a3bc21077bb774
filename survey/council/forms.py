"""The council's one form: approve or refuse a wave's configuration, with a comment."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length


class DecisionForm(FlaskForm):
    # The hash the councillor saw: a configuration changed meanwhile is not approved by mistake.
    configuration = StringField(render_kw={"hidden": True})
    comment = TextAreaField(_l("Kommentar (bei Ablehnung: was sich ändern muss)"), validators=[Length(max=2000)])
    approve = SubmitField(_l("Freigeben"))
    refuse = SubmitField(_l("Ablehnen"))
