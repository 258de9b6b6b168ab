"""Sign-up, login, logout, password reset, and remembering the language a signed-in user picks."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from hub.db import get_session
from hub.extensions import login_manager
from hub.forms.auth import ExpertSignupForm, LoginForm, ResetPasswordForm, ResetRequestForm, StaffSignupForm
from hub.mail import send_mail
from hub.services import accounts

bp = Blueprint("auth", __name__, url_prefix="/account")


def N_(message: str) -> str:
    """Mark a message for extraction; Flask-Login translates it through localize_callback."""
    return message


@bp.record_once
def _configure_login(state) -> None:
    from flask_babel import gettext
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please log in to see this page.")
    login_manager.login_message_category = "warning"
    login_manager.localize_callback = gettext


@bp.app_context_processor
def _template_helpers() -> dict:
    def has_endpoint(name: str) -> bool:
        return name in current_app.view_functions
    return {"has_endpoint": has_endpoint}


@bp.before_app_request
def remember_language() -> None:
    """A signed-in user who uses the language switch keeps that language on every device."""
    lang = request.args.get("lang")
    if lang in ("ja", "en") and current_user.is_authenticated and current_user.locale != lang:
        db = get_session()
        accounts.set_locale(db, current_user, lang)
        db.commit()


def home_for(user) -> str:
    if user.role == "expert":
        return url_for("experts.dashboard")
    if user.role in ("org_staff", "bureau_staff") and not user.is_approved:
        return url_for("auth.waiting")
    if user.role in ("admin", "bureau_staff"):
        return url_for("admin.staff")
    return url_for("search.experts")


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: never redirect to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _start_session(user, remember: bool = False) -> None:
    login_user(user, remember=remember)
    if user.locale in ("ja", "en"):
        session["lang"] = user.locale


@bp.route("/signup")
def signup():
    return render_template("auth/signup.html")


@bp.route("/signup/expert", methods=["GET", "POST"])
def signup_expert():
    form = ExpertSignupForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            user = accounts.sign_up_expert(db, email=form.email.data, password=form.password.data,
                                           name=form.name.data, talent_type=form.talent_type.data,
                                           locale=str(get_locale()), listing_consent=form.listing_consent.data)
        except accounts.EmailTaken:
            form.email.errors.append(_("An account with this email exists already. Log in or reset the password."))
        else:
            db.commit()
            _start_session(user)
            flash(_("Welcome! Your profile is started: fill in the sections below at your own pace."), "success")
            return redirect(url_for("experts.dashboard"))
    return render_template("auth/signup_expert.html", form=form)


@bp.route("/signup/staff", methods=["GET", "POST"])
def signup_staff():
    form = StaffSignupForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            user = accounts.sign_up_staff(db, email=form.email.data, password=form.password.data,
                                          name=form.name.data, organization_code=form.organization_code.data,
                                          locale=str(get_locale()))
        except accounts.EmailTaken:
            form.email.errors.append(_("An account with this email exists already. Log in or reset the password."))
        except accounts.UnknownOrganization:
            form.organization_code.errors.append(_("No organization has this code. Check the 6-digit code, "
                                                   "or ask your bureau for your organization's hub code."))
        else:
            db.commit()
            _start_session(user)
            return redirect(url_for("auth.waiting"))
    return render_template("auth/signup_staff.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        user = accounts.authenticate(db, form.email.data, form.password.data)
        if user is None:
            flash(_("The email or the password is not right."), "error")
        else:
            db.commit()
            _start_session(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/waiting")
@login_required
def waiting():
    if current_user.is_approved:
        return redirect(home_for(current_user))
    return render_template("auth/waiting.html")


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        db = get_session()
        user = accounts.find_user(db, form.email.data)
        if user is not None and user.is_active:
            token = accounts.make_reset_token(current_app.config["SECRET_KEY"], user)
            link = url_for("auth.reset_password", token=token, _external=True)
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            with force_locale(user.locale or str(get_locale())):
                send_mail(user.email, _("Reset your DX Talent Hub password"),
                          _("Open this link within %(minutes)s minutes to choose a new password:\n\n%(link)s\n\n"
                            "If you did not ask for this, ignore this mail.", minutes=minutes, link=link))
        # The same answer either way, so the form does not reveal who has an account.
        flash(_("If an account uses this email, we have sent it a link to choose a new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    db = get_session()
    user = accounts.user_from_reset_token(db, current_app.config["SECRET_KEY"], token,
                                          current_app.config["PASSWORD_RESET_MAX_AGE"])
    if user is None:
        flash(_("This link has expired or was used already. Ask for a new one."), "error")
        return redirect(url_for("auth.reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(db, user, form.password.data)
        db.commit()
        flash(_("Your password is changed. Log in with the new one."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, token=token)
