"""Forms of team proposals and shared needs."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired, Regexp

MAX_TEAM = 10  # members named by one "shortlist this team" form; a proposed team is far smaller


class TeamShortlistForm(FlaskForm):
    """Shortlist every member of a proposed team at once: their expert ids, comma-separated."""

    members = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,12}(,\d{1,12}){0,%d}$" % (MAX_TEAM - 1))])
    submit = SubmitField(_l("Shortlist this team"))

    def member_ids(self) -> list[int]:
        return list(dict.fromkeys(int(part) for part in self.members.data.split(",")))
