"""The consent to be listed (sign-up and profile editor), the data download and the account deletion."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, InputRequired, Length


def listing_consent_field() -> BooleanField:
    """One wording of the consent wherever it is asked, saying who sees what."""
    return BooleanField(
        _l("I agree to be listed: approved staff of the organizations on the hub (municipalities, prefectures, "
           "regional bureaus and others) may find my profile, see it and have the hub rank me for their needs."),
        description=_l("They see your profile (type, skills, roles, track record, hours, work style, region and "
                       "fee), not your e-mail or phone: those only the organization whose contact request you "
                       "accept. Whether other signed-in members see your profile too is your choice in the "
                       "profile editor. Without this consent nobody finds you. You can withdraw it there at any "
                       "time; withdrawing unlists you at once."))


class DownloadForm(FlaskForm):
    """No fields: the download is a POST (it is audited), and CSRF protects it like every other POST."""


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[InputRequired(), Length(max=200)],
                             description=_l("Re-enter it to confirm that it is you."))
    confirm = BooleanField(
        _l("I understand: my account and my personal data are deleted for good, and this cannot be undone."),
        validators=[DataRequired(message=_l("Tick this box to confirm the deletion."))])
