"""marshmallow schemas of the API: they validate the small bodies and describe everything in the OpenAPI document.

Limits come from hub/limits.py and vocabularies from skill_taxonomy, so the document, the forms, the importers
and the database say the same numbers. Need and expert bodies are in the interchange format and are checked
by the importer's own checker (hub/services/interchange.py: check_need, check_expert); their schemas here
describe them for clients.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

import skill_taxonomy
from hub import limits
from hub.models.engagements import ENGAGEMENT_STATUSES
from hub.models.needs import ENGAGEMENT_FORMS, NEED_STATUSES, SHORTLIST_STATES, WORK_STYLES
from hub.models.people import EXPERT_STATUSES, FEE_UNITS, SCHEMES, TALENT_TYPES, VISIBILITIES


class StrictBoolean(fields.Boolean):
    """true or false only: JSON's 1, "yes" or "true" are not booleans."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


TAXONOMY = skill_taxonomy.load()  # the vocabularies of the document; the app's copy is the same files
STAGE_IDS, FIELD_IDS, SKILL_IDS, ROLE_IDS = (tuple(TAXONOMY.stages), tuple(TAXONOMY.fields), tuple(TAXONOMY.items),
                                             tuple(TAXONOMY.roles))
LG_CODE = validate.Regexp(r"^[0-9]{6}$")


def text(limit: int, *, min_length: int | None = None, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=min_length, max=limit), **kwargs)


def within(limit: limits.Range, *, strict: bool = True, **kwargs) -> fields.Integer:
    """A whole number within a range of hub.limits; strict (JSON numbers only) except in query strings."""
    return fields.Integer(strict=strict, validate=validate.Range(min=limit.low, max=limit.high), **kwargs)


def day(**kwargs) -> fields.Date:
    return fields.Date(validate=validate.Range(min=limits.DATES.low, max=limits.DATES.high), **kwargs)


class ErrorSchema(Schema):
    """Every error answer: what went wrong, why, and for invalid input the field paths with their messages."""

    error = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields", attribute="fields")
    reason = fields.String(metadata={"description": "why a state change was refused (409)"})
    remaining_hours = fields.Integer(metadata={"description": "hours per month the expert has left (409)"})
    asked = fields.Integer()


class PagingQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    page = within(limits.API_PAGE, strict=False, load_default=1)
    per_page = within(limits.API_PER_PAGE, strict=False, load_default=20)


class PageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


# -- needs -----------------------------------------------------------------------------------------------

class NeedQuery(PagingQuery):
    status = fields.String(validate=validate.OneOf(NEED_STATUSES))
    stage = fields.String(validate=validate.Length(max=64))
    organization = fields.String(validate=validate.Length(max=limits.ORGANIZATION_CODE),
                                 metadata={"description": "local-government code of the posting organization"})
    mine = fields.Boolean(metadata={"description": "only the needs of the caller's own organization"})


class SkillSpec(Schema):
    level = within(limits.REQUIRED_LEVEL, required=True)
    weight = fields.Float(validate=validate.Range(min=limits.SKILL_WEIGHT.low, max=limits.SKILL_WEIGHT.high,
                                                  min_inclusive=False))


class BudgetSchema(Schema):
    unit = fields.String(required=True, validate=validate.OneOf(FEE_UNITS))
    max = within(limits.MONEY, required=True)


class NeedIn(Schema):
    """A need in the interchange format, without `org_lg_code` (the caller's organization) and `status`."""

    external_id = text(limits.EXTERNAL_ID, metadata={"description": "made up by the hub when missing"})
    title = text(limits.TITLE, required=True)
    description = text(limits.DESCRIPTION)
    stages = fields.List(fields.String(validate=validate.OneOf(STAGE_IDS)), required=True,
                         validate=validate.Length(min=1))
    talent_type = fields.String(allow_none=True, validate=validate.OneOf(TALENT_TYPES))
    required_skills = fields.Dict(keys=fields.String(validate=validate.OneOf(SKILL_IDS)),
                                  values=within(limits.REQUIRED_LEVEL),
                                  metadata={"description": "skill id -> minimum level 1-4 (or {level, weight})"})
    nice_to_have_skills = fields.Dict(keys=fields.String(validate=validate.OneOf(SKILL_IDS)),
                                      values=within(limits.REQUIRED_LEVEL))
    fields_ = fields.List(fields.String(validate=validate.OneOf(FIELD_IDS)), data_key="fields", attribute="fields")
    work_style = fields.String(required=True, validate=validate.OneOf(WORK_STYLES))
    location_lg_code = fields.String(allow_none=True, validate=LG_CODE,
                                     metadata={"description": "where the work is; default the organization's code"})
    hours_per_month = within(limits.HOURS_PER_MONTH, required=True)
    start = day(required=True)
    end = day(allow_none=True)
    budget = fields.Nested(BudgetSchema, allow_none=True)
    engagement_form = fields.String(required=True, validate=validate.OneOf(ENGAGEMENT_FORMS))


class NeedPatch(NeedIn):
    """Any keys of NeedIn; the rest stays as it is."""

    class Meta:
        partial = True


class NeedOut(Schema):
    id = fields.Integer(required=True)
    external_id = fields.String(required=True)
    org_lg_code = fields.String(allow_none=True)
    organization = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String()
    stages = fields.List(fields.String())
    talent_type = fields.String(allow_none=True)
    required_skills = fields.Dict()
    nice_to_have_skills = fields.Dict()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    work_style = fields.String()
    location_lg_code = fields.String(allow_none=True)
    hours_per_month = fields.Integer()
    start = fields.String()
    end = fields.String(allow_none=True)
    budget = fields.Dict(allow_none=True)
    engagement_form = fields.String()
    status = fields.String(validate=validate.OneOf(NEED_STATUSES))
    published_at = fields.String(allow_none=True)


class NeedPage(PageSchema):
    items = fields.List(fields.Nested(NeedOut), required=True)


class MatchSchema(Schema):
    external_id = fields.String(required=True)
    score = fields.Float(required=True)
    signals = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    explanation = fields.Dict(required=True)


class MatchesQuery(Schema):
    top = within(limits.API_TOP, strict=False, load_default=10)


# -- shortlist and engagements ---------------------------------------------------------------------------

class ShortlistIn(Schema):
    expert = text(limits.EXTERNAL_ID, required=True, min_length=1,
                  metadata={"description": "the expert's external_id (as in GET /needs/{ref}/matches)"})


class ShortlistEntryOut(Schema):
    id = fields.Integer(required=True)
    need = fields.String(required=True, metadata={"description": "the need's external_id"})
    expert = fields.String(required=True, metadata={"description": "the expert's external_id"})
    expert_name = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(SHORTLIST_STATES))
    rank = fields.Integer(allow_none=True)
    score = fields.Float(allow_none=True)
    message = fields.String(allow_none=True)
    contacted_at = fields.String(allow_none=True)
    responded_at = fields.String(allow_none=True)
    engagement = fields.Integer(allow_none=True, metadata={"description": "the engagement started from it"})


class ShortlistPage(PageSchema):
    items = fields.List(fields.Nested(ShortlistEntryOut), required=True)


class ContactIn(Schema):
    message = text(limits.MESSAGE)


class RespondIn(Schema):
    accept = StrictBoolean(required=True)


class EngagementIn(Schema):
    hours_per_month = within(limits.COMMITTED_HOURS, required=True)
    start = day(required=True)
    end = day(allow_none=True)
    role = text(limits.ROLE, metadata={"description": "the concrete role, e.g. 「オンデマンドバス実証のPM」"})


class CompleteIn(Schema):
    end = day(required=True)
    contribution = text(limits.CONTRIBUTION)
    outcome = text(limits.OUTCOME)


class EvaluationIn(Schema):
    overall = within(limits.RATING, required=True)
    would_rehire = StrictBoolean(allow_none=True)
    comment = text(limits.COMMENT)
    skill_ratings = fields.Dict(keys=fields.String(validate=validate.OneOf(SKILL_IDS)), values=within(limits.RATING),
                                metadata={"description": "skill id (one the need asked for) -> rating 1-5"})


class EngagementOut(Schema):
    id = fields.Integer(required=True)
    need = fields.String(allow_none=True)
    expert = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ENGAGEMENT_STATUSES))
    role = fields.String()
    start = fields.String(required=True)
    end = fields.String(allow_none=True)
    hours_per_month = fields.Integer(required=True)
    contribution = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)


class EvaluationOut(Schema):
    id = fields.Integer(required=True)
    engagement = fields.Integer(required=True)
    overall = fields.Float(required=True)
    would_rehire = fields.Boolean(allow_none=True)
    comment = fields.String()
    skill_ratings = fields.Dict(keys=fields.String(), values=fields.Integer())


# -- experts ---------------------------------------------------------------------------------------------

class ExpertQuery(Schema):
    """The staff search's filters (hub/forms/search.py validates them, as on the search page)."""

    class Meta:
        unknown = EXCLUDE

    q = text(limits.SEARCH_WORDS)
    prefecture = fields.String()
    min_hours = within(limits.HOURS_PER_MONTH, strict=False)
    talent_type = fields.String(validate=validate.OneOf(TALENT_TYPES))
    work_style = fields.String(validate=validate.OneOf(("remote", "onsite", "resident")))
    scheme = fields.String(validate=validate.OneOf(SCHEMES))
    sort = fields.String(validate=validate.OneOf(("updated", "hours", "name")))
    skill_1 = fields.String()
    level_1 = within(limits.REQUIRED_LEVEL, strict=False)
    skill_2 = fields.String()
    level_2 = within(limits.REQUIRED_LEVEL, strict=False)
    skill_3 = fields.String()
    level_3 = within(limits.REQUIRED_LEVEL, strict=False)
    page = within(limits.API_PAGE, strict=False)


class ExpertSummary(Schema):
    id = fields.Integer(required=True)
    external_id = fields.String(required=True)
    name = fields.String(required=True)
    talent_type = fields.String(required=True)
    prefecture_code = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    skills = fields.Dict(keys=fields.String(), values=fields.Integer())
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    schemes = fields.List(fields.String())
    work_styles = fields.Dict(keys=fields.String(), values=fields.Boolean())
    hours_per_month = fields.Integer()
    remaining_hours = fields.Integer()


class ExpertPage(PageSchema):
    items = fields.List(fields.Nested(ExpertSummary), required=True)


class ExpertOut(Schema):
    """An expert in the interchange format; email and phone only for those who may see contact details."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(required=True)
    external_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    talent_type = fields.String(required=True)
    roles = fields.List(fields.String())
    skills = fields.Dict()
    bio = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    stages_led = fields.List(fields.String())
    home_lg_code = fields.String(allow_none=True)
    work_styles = fields.Dict(keys=fields.String(), values=fields.Boolean())
    max_travel_km = fields.Integer(allow_none=True)
    travel_prefectures = fields.List(fields.String())
    hours_per_month = fields.Integer()
    remaining_hours = fields.Integer()
    available_from = fields.String(allow_none=True)
    available_until = fields.String(allow_none=True)
    fee = fields.Dict(allow_none=True)
    schemes = fields.List(fields.String())
    status = fields.String(validate=validate.OneOf(EXPERT_STATUSES))
    listed = fields.Boolean()
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    notify_opt_in = fields.Boolean()
    availability_confirmed_at = fields.String(allow_none=True)
    engagements = fields.List(fields.Dict())


class WorkStylesSchema(Schema):
    remote = StrictBoolean()
    onsite = StrictBoolean()
    resident = StrictBoolean()


class FeeSchema(Schema):
    unit = fields.String(required=True, validate=validate.OneOf(FEE_UNITS))
    amount = within(limits.MONEY, required=True)
    negotiable = StrictBoolean()


class ExpertPatch(Schema):
    """What an expert may change of their own profile, named as in the interchange format; absent keys stay."""

    name = text(limits.NAME, min_length=1)
    email = fields.String(allow_none=True, validate=validate.Length(max=limits.EMAIL))
    phone = fields.String(allow_none=True, validate=validate.Length(max=limits.PHONE))
    talent_type = fields.String(validate=validate.OneOf(TALENT_TYPES))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_IDS)))
    skills = fields.Dict(keys=fields.String(validate=validate.OneOf(SKILL_IDS)), values=within(limits.SKILL_LEVEL))
    bio = text(limits.BIO)
    fields_ = fields.List(fields.String(validate=validate.OneOf(FIELD_IDS)), data_key="fields", attribute="fields")
    stages_led = fields.List(fields.String(validate=validate.OneOf(STAGE_IDS)))
    home_lg_code = fields.String(allow_none=True, validate=LG_CODE)
    work_styles = fields.Nested(WorkStylesSchema)
    max_travel_km = within(limits.TRAVEL_KM, allow_none=True)
    travel_prefectures = fields.List(fields.String())
    hours_per_month = within(limits.HOURS_PER_MONTH)
    available_from = day(allow_none=True)
    available_until = day(allow_none=True)
    fee = fields.Nested(FeeSchema, allow_none=True)
    schemes = fields.List(fields.String(validate=validate.OneOf(SCHEMES)))
    status = fields.String(validate=validate.OneOf(EXPERT_STATUSES))
    listed = StrictBoolean()
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    notify_opt_in = StrictBoolean()


# -- taxonomy --------------------------------------------------------------------------------------------

class TermSchema(Schema):
    id = fields.Raw(required=True, metadata={"type": "string"})
    ja = fields.String(required=True)
    en = fields.String(required=True)


class TaxonomyOut(Schema):
    skills = fields.List(fields.Dict(), required=True)
    roles = fields.List(fields.Nested(TermSchema), required=True)
    stages = fields.List(fields.Nested(TermSchema), required=True)
    fields_ = fields.List(fields.Nested(TermSchema), data_key="fields", attribute="fields", required=True)
    levels = fields.List(fields.Dict(), required=True)
    vocabularies = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(TermSchema)), required=True)
