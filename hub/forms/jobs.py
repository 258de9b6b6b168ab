"""Starting a background job from the jobs page (admins)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired


class StartJobForm(FlaskForm):
    """One button per job kind: the kind travels in a hidden field, checked by permissions.can_start_job."""

    kind = HiddenField(validators=[DataRequired()])
