"""The evaluation an organization gives after a completed engagement."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from hub import limits
from hub.forms import max_length

RATING_CHOICES = [SelectChoice(n, str(n)) for n in range(limits.RATING.high, limits.RATING.low - 1, -1)]


class SkillRatingForm(Form):
    """A rating 1-5 of one skill the need asked for (or the dispatch covered); empty means "not observed"."""

    skill_id = HiddenField()
    rating = SelectField(_l("Rating"), default="", validators=[Optional()],
                         choices=[SelectChoice("", _l("Not observed"))] + RATING_CHOICES,
                         coerce=lambda value: int(value) if value not in (None, "") else None)


class EvaluationFields(Form):
    """The fields of one evaluation, without CSRF: a need's form below, and one adviser's part of the
    dispatch follow-up (hub/forms/dispatch.py), rendered by the same macro (templates/_evaluation.html)."""

    overall = RadioField(_l("Overall"), choices=RATING_CHOICES, coerce=int, validators=[InputRequired()])
    skills = FieldList(FormField(SkillRatingForm))
    would_rehire = SelectField(_l("Would you engage this expert again?"), default="",
                               choices=[SelectChoice("", _l("No answer")), SelectChoice("yes", _l("Yes")),
                                        SelectChoice("no", _l("No"))])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), max_length(limits.COMMENT)])

    def skill_ratings(self) -> dict[str, int]:
        return {row.form.skill_id.data: row.form.rating.data for row in self.skills
                if row.form.skill_id.data and row.form.rating.data}

    def rehire(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.would_rehire.data)


class EvaluationForm(EvaluationFields, FlaskForm):
    """The evaluation of a need's completed engagement."""

    submit = SubmitField(_l("Save evaluation"))
