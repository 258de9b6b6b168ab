"""Sign-up, login and password reset forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from hub.forms import choices, strip
from hub.forms.privacy import listing_consent_field

PASSWORD_MIN = 10


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)], filters=[strip])
    password = PasswordField(_l("Password"), validators=[InputRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))


def _password_fields():
    password = PasswordField(
        _l("Password"), validators=[InputRequired(), Length(min=PASSWORD_MIN, max=200, message=_l(
            "Use between %(min)d and %(max)d characters."))],
        description=_l("At least %(n)s characters. A short sentence is easy to remember.", n=PASSWORD_MIN))
    confirm = PasswordField(_l("Password again"), validators=[
        InputRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    return password, confirm


class ExpertSignupForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=100)], filters=[strip],
                       description=_l("As municipalities should see it, e.g. 山田 花子."))
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), Length(max=254)], filters=[strip])
    talent_type = RadioField(_l("Which kind of work do you lead?"), validators=[InputRequired()], default="XD")
    password, confirm = _password_fields()
    listing_consent = listing_consent_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.talent_type.choices = choices("talent_types")


class StaffSignupForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=100)], filters=[strip])
    email = EmailField(_l("Work email"), validators=[InputRequired(), Email(), Length(max=254)], filters=[strip])
    organization_code = StringField(
        _l("Organization code"), validators=[InputRequired(), Length(max=32)], filters=[strip],
        description=_l("For a municipality or prefecture, its 6-digit local-government code (e.g. 202151 for "
                       "Shiojiri). Other organizations use the code the hub gave them."))
    password, confirm = _password_fields()


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), Length(max=254)], filters=[strip])


class ResetPasswordForm(FlaskForm):
    password, confirm = _password_fields()
