"""Forms of adviser dispatch: the request, the bureau's steps, the report, the follow-up, and the routing
questions of the hub function. The scheme's caps are checked by the verbs (the rules file), not here: the form
only keeps numbers sane, so a refusal names the published rule."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, FieldList, FormField, HiddenField, IntegerField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from hub import limits
from hub.forms import DateWithin, MultiCheckboxField, max_length, within
from hub.forms.evaluations import EvaluationFields


class DispatchRequestForm(FlaskForm):
    theme = StringField(_l("Theme"), validators=[DataRequired(), max_length(limits.TITLE)],
                        description=_l("What the adviser should help with, in a line."))
    purpose = SelectField(_l("Purpose"), validators=[DataRequired()])
    stage_id = SelectField(_l("Stage of the project"), validators=[DataRequired()])
    field_ids = MultiCheckboxField(_l("Fields"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional(), max_length(limits.DESCRIPTION)],
                                description=_l("The situation and what you expect; the matcher reads this text."))
    project = StringField(_l("Project"), validators=[Optional(), max_length(limits.TITLE)],
                          description=_l("The project the support is for (the same adviser advises the same "
                                         "project once a fiscal year). Empty: the theme."))
    wanted_from = DateField(_l("Wanted from"), validators=[InputRequired(), DateWithin()])
    wanted_until = DateField(_l("Wanted until"), validators=[Optional(), DateWithin()])
    days = IntegerField(_l("Days on site"), default=1, validators=[InputRequired(), within(limits.DISPATCH_DAYS)],
                        description=_l("0 when the support is only online."))
    online_hours = IntegerField(_l("Hours online"), default=0,
                                validators=[InputRequired(), within(limits.DISPATCH_ONLINE_HOURS)])
    visits = IntegerField(_l("Visits"), default=1, validators=[InputRequired(), within(limits.DISPATCH_VISITS)])
    team = BooleanField(_l("A team of advisers"))
    named_expert_id = SelectField(_l("Adviser you would like"), default="", validators=[Optional()])
    recommender_id = SelectField(_l("Recommended by"), default="", validators=[Optional()],
                                 description=_l("NPOs, universities, chambers of commerce and local businesses "
                                                "request with a recommending municipality or bureau."))
    submit = SubmitField(_l("Submit the request"))

    def validate_wanted_until(self, field: DateField) -> None:
        if field.data and self.wanted_from.data and field.data < self.wanted_from.data:
            raise ValidationError(_l("The end must not be before the start."))


class ActionForm(FlaskForm):
    """A button-only step (review, approve): just the CSRF token."""

    submit = SubmitField()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), max_length(limits.COMMENT)])
    submit = SubmitField()


class AssignForm(FlaskForm):
    expert_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Assign"))


class DateForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired(), DateWithin()])
    submit = SubmitField()


class ReportForm(FlaskForm):
    report = TextAreaField(_l("Report"), validators=[DataRequired(), max_length(limits.DESCRIPTION)],
                           description=_l("What was done, what was advised, what the requester should do next."))
    submit = SubmitField(_l("File the report"))


class AdviserEvaluationForm(EvaluationFields):
    """One adviser's evaluation within the follow-up: the need's evaluation fields, for one engagement."""

    engagement_id = HiddenField()


class FollowUpForm(FlaskForm):
    """What came of the support, and one evaluation per adviser (an engagement each)."""

    answer = TextAreaField(_l("What came of the support?"), validators=[DataRequired(),
                                                                       max_length(limits.DESCRIPTION)])
    advisers = FieldList(FormField(AdviserEvaluationForm))
    submit = SubmitField(_l("Send the answers"))


class RoutingForm(FlaskForm):
    """The hub function's questions, asked once (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    what = StringField(_l("What do you need?"), validators=[Optional(), max_length(limits.TITLE)])
    stage_id = SelectField(_l("Stage of the project"), validators=[Optional()])
    purpose = SelectField(_l("Purpose"), validators=[Optional()])
    requester_kind = SelectField(_l("Who is asking?"), validators=[DataRequired()])
    months = IntegerField(_l("How long (months)?"), default=1, validators=[InputRequired(), within(limits.Range(1, 120))])
    days_per_month = IntegerField(_l("Working days a month"), default=2,
                                  validators=[InputRequired(), within(limits.Range(0, 31))])
    hours_per_month = IntegerField(_l("Hours a month"), default=8,
                                   validators=[InputRequired(), within(limits.HOURS_PER_MONTH)])
    onsite_days_per_month = IntegerField(_l("Days on site a month"), default=1,
                                         validators=[InputRequired(), within(limits.Range(0, 31))],
                                         description=_l("0: only online."))
    has_budget = SelectField(_l("Budget"), default="no",
                             choices=[SelectChoice("no", _l("No budget")), SelectChoice("yes", _l("We have a budget"))])
