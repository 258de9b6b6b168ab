"""marshmallow schemas of the dispatch resource (hub/views/api/dispatch.py): bodies named as the request form and
`services.dispatch.RequestData`, limits from hub/limits.py, vocabularies from skill_taxonomy. The scheme's own caps
(3 days on site, 10 hours online, the windows) are the verbs' rules and answer 409 with their reason."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from hub import limits
from hub.views.api.schemas import (FIELD_IDS, STAGE_IDS, MatchSchema, PageSchema, PagingQuery, StrictBoolean, day,
                                   within)
from skill_taxonomy import DISPATCH_PURPOSES, DISPATCH_STATES

ROW_ID = validate.Range(min=1, max=2**31 - 1)  # a database id (larger ones cannot exist in an integer column)


def no_nul(value: str) -> None:
    """No text column can store NUL (PostgreSQL refuses it): a 422, as the pages answer such a form with a 400."""
    if "\x00" in value:
        raise ValidationError(str(_l("The request contains a NUL character, which is not allowed.")))


def text(limit: int, *, min_length: int | None = None, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=min_length, max=limit), no_nul], **kwargs)


def row_id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=ROW_ID, **kwargs)


class DispatchQuery(PagingQuery):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(validate=validate.OneOf(DISPATCH_STATES))
    purpose = fields.String(validate=validate.OneOf(DISPATCH_PURPOSES))


class DispatchIn(Schema):
    """A request of the caller's organization, as the request form states it."""

    theme = text(limits.TITLE, required=True, min_length=1)
    purpose = fields.String(required=True, validate=validate.OneOf(DISPATCH_PURPOSES))
    stage_id = fields.String(required=True, validate=validate.OneOf(STAGE_IDS))
    field_ids = fields.List(fields.String(validate=validate.OneOf(FIELD_IDS)), validate=validate.Length(max=50))
    description = text(limits.DESCRIPTION)
    project = text(limits.TITLE, metadata={"description": "the project the support is for; empty: the theme"})
    wanted_from = day(required=True)
    wanted_until = day(allow_none=True)
    days = within(limits.DISPATCH_DAYS, load_default=1, metadata={"description": "days on site (0: only online)"})
    online_hours = within(limits.DISPATCH_ONLINE_HOURS, load_default=0)
    visits = within(limits.DISPATCH_VISITS, load_default=1)
    team = StrictBoolean(load_default=False)
    named_expert_id = row_id(allow_none=True, metadata={"description": "the adviser the requester would like"})
    recommender_id = row_id(allow_none=True, metadata={
        "description": "the recommending municipality or bureau (NPOs, universities, chambers, businesses)"})


class ReasonIn(Schema):
    reason = text(limits.COMMENT)


class AssignIn(Schema):
    expert = text(limits.EXTERNAL_ID, required=True, min_length=1,
                  metadata={"description": "the adviser's external_id or database id (as in /candidates)"})


class DayIn(Schema):
    day = day(required=True)


class ReportIn(Schema):
    report = text(limits.DESCRIPTION, required=True, min_length=1)


class FollowUpIn(Schema):
    answer = text(limits.DESCRIPTION, required=True, min_length=1)
    overall = within(limits.RATING, required=True)
    would_rehire = StrictBoolean(allow_none=True)
    comment = text(limits.COMMENT)


class AssignmentOut(Schema):
    expert = fields.String(required=True, metadata={"description": "the adviser's external_id"})
    expert_name = fields.String(required=True)
    scheduled_on = fields.String(allow_none=True)


class DispatchOut(Schema):
    id = fields.Integer(required=True)
    state = fields.String(required=True, validate=validate.OneOf(DISPATCH_STATES))
    requester = fields.String(required=True, metadata={"description": "the requesting organization's name"})
    requester_id = fields.Integer(required=True)
    recommender = fields.String(allow_none=True)
    recommender_id = fields.Integer(allow_none=True)
    bureau_id = fields.String(required=True)
    theme = fields.String(required=True)
    purpose = fields.String(required=True)
    stage_id = fields.String(required=True)
    field_ids = fields.List(fields.String())
    description = fields.String()
    project = fields.String()
    wanted_from = fields.String(required=True)
    wanted_until = fields.String(allow_none=True)
    days = fields.Integer(required=True)
    online_hours = fields.Integer(required=True)
    visits = fields.Integer()
    team = fields.Boolean()
    hours = fields.Integer(metadata={"description": "the hours the case commits of each adviser"})
    named_expert = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    support_date = fields.String(allow_none=True)
    report_due = fields.String(allow_none=True)
    report_overdue = fields.Boolean()
    report = fields.String(allow_none=True)
    reported_at = fields.String(allow_none=True)
    follow_up_due = fields.String(allow_none=True)
    follow_up = fields.String(allow_none=True)
    followed_up_at = fields.String(allow_none=True)
    assignments = fields.List(fields.Nested(AssignmentOut))


class DispatchPage(PageSchema):
    items = fields.List(fields.Nested(DispatchOut), required=True)


class CandidatesOut(Schema):
    """The ranked advisers as the bureau sees them on the request's page, and where the named adviser stands."""

    matches = fields.List(fields.Nested(MatchSchema), required=True)
    named_expert = fields.String(allow_none=True)
    named_rank = fields.Integer(allow_none=True)
    named_excluded = fields.Boolean(required=True,
                                    metadata={"description": "named, but a hard filter excluded them"})
