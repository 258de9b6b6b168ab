"""Sign-up, login, password reset and password change forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from hub import limits
from hub.forms import choices, locale, max_length, options, strip, taxonomy
from hub.passwords import PASSWORD_MAX, PASSWORD_MIN, policy_error
from hub.forms.privacy import listing_consent_field


class PasswordPolicy:
    """Refuse a common password, or one equal to the e-mail (the email field, or `form.account_email`)."""

    def __call__(self, form, field) -> None:
        if not field.data or not PASSWORD_MIN <= len(field.data) <= PASSWORD_MAX:
            return  # Length says so already
        email = form.email.data if "email" in form else getattr(form, "account_email", None)
        if (error := policy_error(field.data, email)) is not None:
            raise ValidationError(str(error))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), max_length(limits.EMAIL)], filters=[strip])
    password = PasswordField(_l("Password"), validators=[InputRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))


def _password_fields(label=_l("Password")):
    password = PasswordField(
        label, validators=[InputRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=_l(
            "Use between %(min)d and %(max)d characters.")), PasswordPolicy()],
        description=_l("At least %(n)s characters. A short sentence is easy to remember.", n=PASSWORD_MIN))
    confirm = PasswordField(_l("Password again"), validators=[
        InputRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    return password, confirm


class ExpertSignupForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), max_length(limits.NAME)], filters=[strip],
                       description=_l("As municipalities should see it, e.g. 山田 花子."))
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), max_length(limits.EMAIL)], filters=[strip])
    talent_type = RadioField(_l("Which kind of work do you lead?"), validators=[InputRequired()], default="XD")
    password, confirm = _password_fields()
    listing_consent = listing_consent_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each type with what it means (the taxonomy's words), so a newcomer knows which to pick.
        lang = locale()
        self.talent_type.choices = options(
            (kind_id, f"{kind.name(lang)}{'：' if lang == 'ja' else ': '}{kind.description(lang)}")
            for kind_id, kind in taxonomy().enums["talent_types"].items())


class StaffSignupForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), max_length(limits.NAME)], filters=[strip])
    email = EmailField(_l("Work email"), validators=[InputRequired(), Email(), max_length(limits.EMAIL)],
                       filters=[strip])
    # The name stays `organization_code` (API clients and tests post it); it takes a name or a code.
    organization_code = StringField(
        _l("Your organization"), validators=[InputRequired(), max_length(limits.ORGANIZATION_NAME)], filters=[strip],
        description=_l("Its name as you write it, e.g. 長野県松本市 or 松本市 (the reading まつもとし works too), "
                       "or its 6-digit local-government code. Other organizations: the name or code the hub gave "
                       "them."))
    password, confirm = _password_fields()


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), max_length(limits.EMAIL)], filters=[strip])


class ResetPasswordForm(FlaskForm):
    """`account_email` (set by the view) is the e-mail the new password must differ from."""
    password, confirm = _password_fields()

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class ChangePasswordForm(ResetPasswordForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired(), Length(max=PASSWORD_MAX)])
    password, confirm = _password_fields(_l("New password"))  # the same rules as at sign-up


class ButtonForm(FlaskForm):
    """A form that is only a button (send the link again, confirm the e-mail): its CSRF token."""
