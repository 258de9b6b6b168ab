"""The account page's API token forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from hub import limits
from hub.forms import max_length, strip


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), max_length(limits.TOKEN_NAME)],
                       filters=[strip], description=_l("For example “塩尻市 人材プール連携”. Only you see it."))
