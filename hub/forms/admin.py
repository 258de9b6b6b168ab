"""The admin's users and audit pages: GET filters, and the reason that goes with a refused sign-up."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from hub import limits
from hub.forms import DateWithin, max_length, options, strip


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Why is the sign-up refused?"), validators=[InputRequired(), max_length(limits.REASON)],
                           filters=[strip], description=_l("Mailed to the person, e.g. "
                                                           "“We could not confirm that you work for 松本市.”"))


class UserFilterForm(FlaskForm):
    """GET /admin/users?role=&status=&q=&page= (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, e-mail or organization"), validators=[Optional(), max_length(limits.SEARCH_WORDS)],
                    filters=[strip])
    role = SelectField(_l("Role"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = options([("", _l("All roles")), ("expert", _l("Expert")),
                                     ("org_staff", _l("Organization staff")), ("bureau_staff", _l("Bureau staff")),
                                     ("admin", _l("Administrator"))])
        self.status.choices = options([("", _l("All")), ("pending", _l("Waiting for approval")),
                                       ("active", _l("Active")), ("inactive", _l("Deactivated")),
                                       ("rejected", _l("Refused"))])


class AuditFilterForm(FlaskForm):
    """GET /admin/audit?actor=&entity=&entity_id=&verb=&since=&until=&page= (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    actor = StringField(_l("Who (e-mail, or “system”)"), validators=[Optional(), max_length(limits.EMAIL)],
                        filters=[strip])
    entity = SelectField(_l("Kind of record"), validators=[Optional()])
    entity_id = StringField(_l("Record number"), validators=[Optional(), max_length(64)], filters=[strip])
    verb = StringField(_l("Action"), validators=[Optional(), max_length(50)], filters=[strip],
                       description=_l("e.g. approve, or user.approve"))
    since = DateField(_l("From"), validators=[Optional(), DateWithin()])
    until = DateField(_l("Until"), validators=[Optional(), DateWithin()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])
