"""Forms of the municipality side: the need editor, the candidate filters and the shortlist steps."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, HiddenField, IntegerField,
                     SelectField, StringField, SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from hub import limits
from hub.forms import DateWithin, MultiCheckboxField, max_length, within
from hub.gazetteer import load_gazetteer
from matching import SIGNALS

LEVEL_CHOICES = [SelectChoice(n, str(n)) for n in range(limits.REQUIRED_LEVEL.low, limits.REQUIRED_LEVEL.high + 1)]
BLANK_SKILL_ROWS = 3  # empty rows offered after the filled ones, so skills can be added without JavaScript


class SkillRowForm(Form):
    """One asked-for skill: the DSS item, the minimum level and whether it is a must-have."""

    skill_id = SelectField(_l("Skill"), choices=[])
    min_level = SelectField(_l("Minimum level"), choices=LEVEL_CHOICES, coerce=int, default=2)
    must = SelectField(_l("Importance"), default="must",
                       choices=[SelectChoice("must", _l("Required")), SelectChoice("nice", _l("Nice to have"))])


class ShareRowForm(Form):
    """A co-organization of a shared need (共同任用) and its share of the hours and the budget."""

    lg_code = SelectField(_l("Co-organization"), choices=[], default="", validators=[Optional()])
    hours_per_month = IntegerField(_l("Its hours per month"), validators=[Optional(), within(limits.HOURS_PER_MONTH)])
    budget_max = IntegerField(_l("Its budget share (yen)"), validators=[Optional(), within(limits.MONEY)])


BLANK_SHARE_ROWS = 2


class NeedForm(FlaskForm):
    """Create or edit a need; the "suggest" button re-renders it with skills from the stages and the text."""

    title = StringField(_l("Title"), validators=[DataRequired(), max_length(limits.TITLE)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), max_length(limits.DESCRIPTION)],
        description=_l("What the project is about and what the expert will do. The matcher reads this text."))
    stages = MultiCheckboxField(_l("Stages of the project"), validators=[DataRequired()])
    talent_type = SelectField(_l("Talent type"), default="")
    skills = FieldList(FormField(SkillRowForm), min_entries=BLANK_SKILL_ROWS)
    field_ids = MultiCheckboxField(_l("Fields"), validators=[Optional()])
    work_style = SelectField(_l("Work style"), validators=[DataRequired()])
    location_lg_code = SelectField(_l("Location"), validators=[DataRequired()])
    hours_per_month = IntegerField(_l("Hours per month"),
                                   validators=[InputRequired(), within(limits.COMMITTED_HOURS)])
    start = DateField(_l("Start"), validators=[InputRequired(), DateWithin()])
    end = DateField(_l("End"), validators=[Optional(), DateWithin()], description=_l("Leave empty when open-ended."))
    budget_unit = SelectField(_l("Budget unit"), default="")
    budget_max = IntegerField(_l("Maximum budget (yen)"), validators=[Optional(), within(limits.MONEY)])
    engagement_form = SelectField(_l("Engagement form"), validators=[DataRequired()])
    team_roles = MultiCheckboxField(
        _l("Roles of a team"), validators=[Optional()],
        description=_l("Choose two or more DSS roles when one person cannot do it all: the hub then also proposes "
                       "small teams. The hours per month are split evenly over the roles."))
    shares = FieldList(FormField(ShareRowForm), min_entries=BLANK_SHARE_ROWS)
    suggest = SubmitField(_l("Suggest skills from the stages and the description"))
    save = SubmitField(_l("Save"))

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end must not be before the start."))

    def validate_budget_max(self, field: IntegerField) -> None:
        if self.budget_unit.data and field.data is None:
            raise ValidationError(_l("Give the maximum for the chosen unit, or choose \"Unknown\"."))
        if not self.budget_unit.data and field.data is not None:
            raise ValidationError(_l("Choose the unit of this budget."))

    def validate_location_lg_code(self, field: SelectField) -> None:
        if load_gazetteer().by_code(field.data or "") is None:
            raise ValidationError(_l("Choose a municipality or prefecture."))

    def validate_skills(self, field: FieldList) -> None:
        seen = set()
        for row in field:
            skill = row.form.skill_id.data
            if not skill:
                continue
            if skill in seen:
                raise ValidationError(_l("Each skill can be listed only once."))
            seen.add(skill)

    def validate_team_roles(self, field: MultiCheckboxField) -> None:
        if field.data and len(field.data) == 1:
            raise ValidationError(_l("A team needs at least two roles; leave all unchecked for one person."))
        if field.data and self.hours_per_month.data is not None and self.hours_per_month.data < len(field.data):
            raise ValidationError(_l("Give every role at least one hour per month."))

    def validate_shares(self, field: FieldList) -> None:
        for row in field:
            if row.form.lg_code.data and row.form.hours_per_month.data is None:
                row.form.hours_per_month.errors = list(row.form.hours_per_month.errors) + [
                    str(_l("Give this organization's hours per month."))]
                raise ValidationError(_l("Give each co-organization its hours per month."))

    def skill_levels(self) -> tuple[dict[str, int], dict[str, int]]:
        """Return (required, nice-to-have) item -> minimum level from the filled rows."""
        required: dict[str, int] = {}
        nice: dict[str, int] = {}
        for row in self.skills:
            data = row.form
            if data.skill_id.data:
                (required if data.must.data == "must" else nice)[data.skill_id.data] = int(data.min_level.data)
        return required, nice


class FilterForm(Form):
    """The GET form of the need page: filters and weight sliders that re-rank the candidates."""

    class Meta:
        def get_translations(self, form):  # WTForms' own messages in the user's language, as FlaskForm does
            from flask_wtf.i18n import translations
            return translations

    prefecture = SelectField(_l("Home prefecture"), default="", validators=[Optional()])
    work_style = SelectField(_l("Work style to rank for"), default="", validators=[Optional()])
    min_hours = IntegerField(_l("Minimum remaining hours per month"),
                             validators=[Optional(), within(limits.HOURS_PER_MONTH)])
    within_budget = BooleanField(_l("Fee within budget (unknown fees stay)"))
    scheme = SelectField(_l("Scheme"), default="", validators=[Optional()])
    show = IntegerField(default=10, validators=[Optional(), within(limits.CANDIDATES_SHOWN)])


# One slider per signal, 0-100; added here so the names stay tied to the matcher's signal list.
for _signal in SIGNALS:
    setattr(FilterForm, f"w_{_signal}", IntegerField(validators=[Optional(), within(limits.SIGNAL_WEIGHT_PERCENT)]))


class WeightsForm(FlaskForm):
    """Keep the slider weights as this need's own (or, with `reset`, go back to the hub's weights)."""

    reset = SubmitField(_l("Use the hub's weights again"))
    submit = SubmitField(_l("Keep these weights for this need"))


for _signal in SIGNALS:
    setattr(WeightsForm, f"w_{_signal}",
            IntegerField(validators=[InputRequired(), within(limits.SIGNAL_WEIGHT_PERCENT)]))


class ShortlistForm(FlaskForm):
    expert_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Add to shortlist"))


class ContactForm(FlaskForm):
    message = TextAreaField(_l("Message to the expert (optional)"), validators=[Optional(), max_length(limits.MESSAGE)])
    submit = SubmitField(_l("Send contact request"))


class StartEngagementForm(FlaskForm):
    role = StringField(_l("Role"), validators=[DataRequired(), max_length(limits.ROLE)],
                       description=_l("The concrete role, e.g. \"Project manager of the on-demand bus pilot\"."))
    start = DateField(_l("Start"), validators=[InputRequired(), DateWithin()])
    end = DateField(_l("Planned end"), validators=[Optional(), DateWithin()])
    hours_per_month = IntegerField(_l("Hours per month"),
                                   validators=[InputRequired(), within(limits.COMMITTED_HOURS)])
    submit = SubmitField(_l("Start engagement"))

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end must not be before the start."))


class CompleteEngagementForm(FlaskForm):
    end = DateField(_l("End date"), validators=[InputRequired(), DateWithin()])
    contribution = TextAreaField(_l("Contribution"), validators=[Optional(), max_length(limits.CONTRIBUTION)],
                                 description=_l("What the expert concretely contributed."))
    outcome = TextAreaField(_l("Outcome"), validators=[Optional(), max_length(limits.OUTCOME)])
    submit = SubmitField(_l("Complete engagement"))


class SimpleActionForm(FlaskForm):
    """A button-only POST form (publish, close): just the CSRF token."""

    submit = SubmitField()


CLOSE_REASON_LABELS = {
    "filled": _l("We found our expert here"), "found_elsewhere": _l("We found someone elsewhere"),
    "cancelled": _l("The project was cancelled or postponed"), "no_fit": _l("No suitable candidate"),
    "other": _l("Another reason"),
}


class CloseNeedForm(FlaskForm):
    """Closing a need asks why (kept on the need), and warns when contact requests are still pending."""

    reason = SelectField(_l("Why do you close this need?"),
                         validators=[DataRequired(message=_l("Choose why the need is closed."))],
                         choices=[SelectChoice("", _l("(choose a reason)"))]
                         + [SelectChoice(k, v) for k, v in CLOSE_REASON_LABELS.items()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), max_length(limits.CLOSE_NOTE)])
    submit = SubmitField(_l("Close the need"))


class AddToShortlistForm(FlaskForm):
    """Put an expert found anywhere (search, a profile) on one of the officer's needs; `back` is where the
    officer was (a same-site path), to return to it rather than to the need."""

    need_id = SelectField(_l("Need"), choices=[], validate_choice=False)
    expert_id = HiddenField(validators=[DataRequired()])
    back = HiddenField()
    submit = SubmitField(_l("Add to shortlist"))
