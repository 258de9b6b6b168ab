"""The roster upload form (/roster/import): the file, the list type, and a sheet name for workbooks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class RosterUploadForm(FlaskForm):
    """Choices of `scheme` are the lists the user may import (permissions.roster_schemes), set by the view."""

    file = FileField(_l("Roster file (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])
    scheme = SelectField(_l("List type"), validators=[DataRequired()])
    sheet = StringField(_l("Sheet (optional)"), validators=[Optional(), Length(max=31)],
                        description=_l("For a workbook: the sheet to read. Empty: the sheet 名簿, else the first "
                                       "sheet that is not 記入方法."))
