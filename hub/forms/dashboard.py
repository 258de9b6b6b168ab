"""The dashboards' period: GET /dashboard/…?from=YYYY-MM-DD&to=YYYY-MM-DD (no CSRF: it changes nothing)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional, ValidationError

from hub.forms import DateWithin


class PeriodForm(FlaskForm):
    """Both dates optional: a missing one falls back to the default period (this fiscal year to date)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), name="from", validators=[Optional(), DateWithin()])
    end = DateField(_l("To"), name="to", validators=[Optional(), DateWithin()])

    def validate_end(self, field) -> None:
        if field.data is not None and self.start.data is not None and field.data < self.start.data:
            raise ValidationError(_l("The end of the period comes before its start."))
