"""The expert's profile editor: one small form per section, each saved on its own."""
from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField, ValidationError)
from wtforms.validators import Email, InputRequired, Optional

from hub import limits
from hub.forms import DateWithin, MultiCheckboxField, choices, locale, max_length, options, strip, taxonomy, within
from hub.forms.privacy import listing_consent_field
from hub.gazetteer import load_gazetteer


def prefecture_choices() -> list:
    return options((p.prefecture_code, p.name) for p in load_gazetteer().prefectures())


def resolve_place(text: str) -> tuple[str | None, str | None]:
    """Return (lg_code, error message) for a code or a name such as 塩尻市 or 長野県塩尻市."""
    from flask_babel import gettext as _
    gazetteer = load_gazetteer()
    text = (text or "").strip()
    if not text:
        return None, None
    if text.isdigit():
        if gazetteer.by_code(text) is None:
            return None, _("No municipality or prefecture has the code %(code)s.", code=text)
        return text, None
    found = gazetteer.find(text)
    if len(found) == 1:
        return found[0].lg_code, None
    if not found:
        return None, _("No municipality called “%(name)s” was found. Try the full name with the prefecture, "
                       "e.g. 長野県塩尻市, or the 6-digit code.", name=text)
    options = "、".join(p.full_name for p in found[:8])
    return None, _("Several places match: %(options)s. Please add the prefecture.", options=options)


class BasicsForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), max_length(limits.NAME)], filters=[strip])
    talent_type = RadioField(_l("Talent type"), validators=[InputRequired()])
    bio = TextAreaField(_l("About you and your work"), validators=[max_length(limits.BIO)], filters=[strip],
                        description=_l("Municipalities search this text. Say which projects you drove and "
                                       "what changed because of them."))
    email = EmailField(_l("Contact email"), validators=[Optional(), Email(), max_length(limits.EMAIL)], filters=[strip],
                       description=_l("Shown only to organizations whose contact request you accept."))
    phone = StringField(_l("Phone"), validators=[Optional(), max_length(limits.PHONE)], filters=[strip],
                        description=_l("Shown only to organizations whose contact request you accept."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.talent_type.choices = choices("talent_types")


@cache
def _skills_form_class(item_ids: tuple[str, ...]) -> type[FlaskForm]:
    """One select (0-4) per DSS item; built once, labels filled in per request."""
    levels = range(limits.SKILL_LEVEL.low, limits.SKILL_LEVEL.high + 1)
    attrs = {f"skill_{item_id}": SelectField(item_id, coerce=int, default=0, validators=[Optional()],
                                             choices=options((level, str(level)) for level in levels))
             for item_id in item_ids}
    return type("SkillsForm", (FlaskForm,), attrs)


def skills_form(*args, **kwargs) -> FlaskForm:
    tax = taxonomy()
    form = _skills_form_class(tuple(tax.item_ids))(*args, **kwargs)
    lang = locale()
    for item_id in tax.item_ids:
        field = form[f"skill_{item_id}"]
        item = tax.items[item_id]
        field.label.text = item.name(lang)
        field.description = item.description(lang)
        field.choices = options((level.value, f"{level.value} {level.name(lang)}") for level in tax.levels)
    return form


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles you can take"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = choices("roles")


class FieldsForm(FlaskForm):
    fields_ = MultiCheckboxField(_l("Fields you know"), validators=[Optional()], name="fields")
    stages_led = MultiCheckboxField(_l("Stages you have led"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields_.choices = choices("fields")
        self.stages_led.choices = choices("stages")


class HoursForm(FlaskForm):
    hours_per_month = IntegerField(
        _l("Hours per month you can offer"), validators=[InputRequired(), within(limits.HOURS_PER_MONTH)],
        description=_l("In total, across all engagements. The hub subtracts your active engagements itself."))
    available_from = DateField(_l("Available from"), validators=[Optional(), DateWithin()])
    available_until = DateField(_l("Available until"), validators=[Optional(), DateWithin()],
                                description=_l("Leave empty if open-ended."))

    def validate_available_until(self, field):
        if field.data and self.available_from.data and field.data < self.available_from.data:
            raise ValidationError(_l("The end comes before the start."))


class WorkForm(FlaskForm):
    remote = BooleanField(_l("Remote work"))
    onsite = BooleanField(_l("On-site visits"))
    resident = BooleanField(_l("Resident on site (full-time, may relocate)"))
    home = StringField(_l("Home municipality"), validators=[max_length(limits.PLACE_NAME)], filters=[strip],
                       description=_l("Name (e.g. 長野県塩尻市) or 6-digit local-government code."))
    max_travel_km = IntegerField(_l("Travel reach (km)"), validators=[Optional(), within(limits.TRAVEL_KM)],
                                 description=_l("How far from home you will travel for on-site work."))
    travel_prefectures = MultiCheckboxField(_l("Prefectures you will go to regardless of distance"),
                                            validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.travel_prefectures.choices = prefecture_choices()
        self.home_code: str | None = None

    def validate_home(self, field):
        self.home_code, error = resolve_place(field.data)
        if error:
            raise ValidationError(error)

    def validate_remote(self, field):
        if not (field.data or self.onsite.data or self.resident.data):
            raise ValidationError(_l("Choose at least one way of working."))


class FeeForm(FlaskForm):
    fee_unit = SelectField(_l("Fee basis"), validators=[Optional()])
    fee_amount = IntegerField(_l("Amount (yen)"), validators=[Optional(), within(limits.MONEY)])
    fee_negotiable = BooleanField(_l("Negotiable"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fee_unit.choices = options([("", _l("Not stated"))]) + choices("fee_units")

    def validate(self, extra_validators=None) -> bool:
        # Cross-field checks here: Optional() stops a field's own validators when it is empty.
        valid = super().validate(extra_validators)
        if self.fee_unit.data and self.fee_amount.data is None and not self.fee_amount.errors:
            self.fee_amount.errors.append(_l("Give an amount for this fee basis, or choose “Not stated”."))
            valid = False
        if self.fee_amount.data is not None and not self.fee_unit.data:
            self.fee_unit.errors.append(_l("Choose a fee basis for this amount."))
            valid = False
        return valid


class SchemesForm(FlaskForm):
    schemes = MultiCheckboxField(_l("Schemes you take part in"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.schemes.choices = choices("schemes")


class VisibilityForm(FlaskForm):
    listed = listing_consent_field()
    visibility = RadioField(_l("Who may see my profile"), validators=[InputRequired()], choices=options([
        ("staff", _l("Approved staff of municipalities and bureaus only")),
        ("public", _l("Also other signed-in members of the hub"))]))
    notify_opt_in = BooleanField(_l("Tell me when a need that fits me is published"))
    status = SelectField(_l("Status"), validators=[InputRequired()], choices=options([
        ("active", _l("Active: open to new work")), ("paused", _l("Paused: not taking new work for now")),
        ("retired", _l("Retired"))]))


OTHER_KINDS = ("npo", "university", "chamber", "business")


class EngagementForm(FlaskForm):
    organization = StringField(
        _l("Organization"), validators=[InputRequired(), max_length(limits.ORGANIZATION_NAME)], filters=[strip],
        description=_l("A municipality or prefecture: its name (e.g. 長野県塩尻市) or code. "
                       "Another organization: its name, with its kind and prefecture below."))
    org_kind = SelectField(_l("Kind of organization"), default="local")
    org_prefecture = SelectField(_l("Prefecture (other organizations)"), validators=[Optional()])
    title = StringField(_l("Project title"), validators=[InputRequired(), max_length(limits.TITLE)], filters=[strip])
    stages = MultiCheckboxField(_l("Stages"), validators=[Optional()])
    fields_ = MultiCheckboxField(_l("Fields"), validators=[Optional()], name="fields")
    role = StringField(_l("Your role"), validators=[max_length(limits.ROLE)], filters=[strip],
                       description=_l("e.g. CIO補佐官, project manager, facilitator of the residents' workshop."))
    contribution = TextAreaField(_l("What you did and contributed"), validators=[max_length(limits.CONTRIBUTION)],
                                 filters=[strip])
    outcome = TextAreaField(_l("Outcome"), validators=[max_length(limits.OUTCOME)], filters=[strip],
                            description=_l("What changed: services launched, users, hours saved, ..."))
    start = DateField(_l("Start"), validators=[InputRequired(), DateWithin()])
    end = DateField(_l("End"), validators=[Optional(), DateWithin()], description=_l("Leave empty while it runs."))
    hours_per_month = IntegerField(_l("Hours per month"),
                                   validators=[InputRequired(), within(limits.HOURS_PER_MONTH)])
    status = RadioField(_l("Status"), validators=[InputRequired()], default="completed",
                        choices=options([("active", _l("Running")), ("completed", _l("Completed"))]))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = taxonomy().enums["organization_kinds"]
        self.org_kind.choices = options([("local", _l("Municipality or prefecture"))]
                                        + [(k, kinds[k].name(locale())) for k in OTHER_KINDS])
        self.org_prefecture.choices = options([("", "—")]) + prefecture_choices()
        self.stages.choices = choices("stages")
        self.fields_.choices = choices("fields")
        self.org_code: str | None = None

    def validate_organization(self, field):
        if self.org_kind.data == "local":
            self.org_code, error = resolve_place(field.data)
            if error:
                raise ValidationError(error)

    def validate(self, extra_validators=None) -> bool:
        # Cross-field checks here: Optional() stops a field's own validators when it is empty.
        valid = super().validate(extra_validators)
        if self.org_kind.data != "local" and not self.org_prefecture.data:
            self.org_prefecture.errors.append(_l("Choose the prefecture of this organization."))
            valid = False
        if self.end.data and self.start.data and self.end.data < self.start.data:
            self.end.errors.append(_l("The end comes before the start."))
            valid = False
        if self.status.data == "completed" and not self.end.data and not self.end.errors:
            self.end.errors.append(_l("A completed engagement needs an end date."))
            valid = False
        return valid
