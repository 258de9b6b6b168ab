"""Sign-up, e-mail verification, login, logout, password reset and change, and the language a user picks.

Sign-up and reset answer the same for known and unknown e-mails; their mails go out after the commit, and a
failing mail server is logged, never a 500. Links in mail come from PUBLIC_URL (hub.mail.external_url).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from hub import format_list, permissions, security
from hub.db import get_session
from hub.extensions import limiter, login_manager
from hub.forms.auth import (ButtonForm, ChangePasswordForm, ExpertSignupForm, LoginForm, ResetPasswordForm,
                            ResetRequestForm, StaffSignupForm)
from hub.mail import external_url, send_mail_or_log
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


# What an account whose e-mail is not confirmed yet may open: the page asking to confirm it, and the way out.
UNVERIFIED_ALLOWED = {"auth.verify_pending", "auth.verify_send", "auth.verify_email", "auth.logout", "static"}


@bp.before_app_request
def require_verified_email():
    """Until its e-mail is confirmed an account can sign in, but sees only the page asking to confirm it."""
    if not current_user.is_authenticated or current_user.is_verified or request.endpoint in UNVERIFIED_ALLOWED:
        return None
    if request.path.startswith("/api/"):
        abort(403, description=_("Confirm your email address first: open the link we mailed you."))
    return redirect(url_for("auth.verify_pending"))


def home_for(user) -> str:
    if not user.is_verified:
        return url_for("auth.verify_pending")
    if permissions.is_expert(user):
        return url_for("experts.dashboard")
    if permissions.is_waiting_for_approval(user):
        return url_for("auth.waiting")
    if permissions.can_review_staff(user):
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
@limiter.limit(security.MAILING_PER_ADDRESS, methods=["POST"])
@limiter.limit(security.MAILING_PER_EMAIL, key_func=security.submitted_email, methods=["POST"])
def signup_expert():
    form = ExpertSignupForm()
    if form.validate_on_submit():
        return _sign_up(form, lambda db: accounts.sign_up_expert(
            db, email=form.email.data, password=form.password.data, name=form.name.data,
            talent_type=form.talent_type.data, locale=str(get_locale()),
            listing_consent=form.listing_consent.data))
    return render_template("auth/signup_expert.html", form=form)


@bp.route("/signup/staff", methods=["GET", "POST"])
@limiter.limit(security.MAILING_PER_ADDRESS, methods=["POST"])
@limiter.limit(security.MAILING_PER_EMAIL, key_func=security.submitted_email, methods=["POST"])
def signup_staff():
    form = StaffSignupForm()
    if form.validate_on_submit():
        try:
            return _sign_up(form, lambda db: accounts.sign_up_staff(
                db, email=form.email.data, password=form.password.data, name=form.name.data,
                organization_code=form.organization_code.data, locale=str(get_locale())))
        except accounts.AmbiguousOrganization as ambiguous:
            form.organization_code.errors.append(_(
                "Several places are called “%(name)s”: %(options)s. Please add the prefecture, e.g. %(example)s.",
                name=ambiguous.args[0], options=format_list(ambiguous.options), example=ambiguous.options[0]))
        except accounts.UnknownOrganization:
            form.organization_code.errors.append(_(
                "No organization of this name or code was found. Pick one of the suggestions, write the name "
                "with its prefecture (e.g. 長野県松本市), or ask your bureau for your organization's hub code."))
    return render_template("auth/signup_staff.html", form=form,
                           suggestions=accounts.organization_suggestions(get_session()))


def _sign_up(form, create):
    """Create the account and mail the confirmation link; for a taken e-mail, mail its owner instead.

    Either way the visitor sees the same "check your mail" page, so the form does not tell who has an account.
    Two sign-ups with one e-mail at once: the loser's INSERT fails on the unique e-mail (at flush or commit)
    and gets the same answer.
    """
    db = get_session()
    email = accounts.normalize_email(form.email.data)
    try:
        user = create(db)
        db.commit()
    except accounts.EmailTaken:
        owner = accounts.find_user(db, email)
        to = (owner.email, owner.locale) if owner is not None and owner.is_active else None
        db.rollback()  # nothing of this sign-up is kept
        if to is not None:
            _mail_signup_attempt(*to)
    except IntegrityError:
        db.rollback()
        current_app.logger.info("sign-up with %s lost a race to another sign-up", email)
    else:
        _mail_verification(user)
    session["signup_email"] = email
    return redirect(url_for("auth.signup_sent"))


def _mail_verification(user) -> None:
    link = external_url("auth.verify_email", token=accounts.make_verify_token(current_app.config["SECRET_KEY"], user))
    days = current_app.config["EMAIL_VERIFY_MAX_AGE"] // 86400
    with force_locale(user.locale or str(get_locale())):
        send_mail_or_log(user.email, _("Confirm your email address for the DX Talent Hub"),
                         _("Hello %(name)s,\n\nopen this link within %(days)s days to confirm your email address "
                           "and start using your account:\n\n%(link)s\n\nIf you did not sign up, ignore this "
                           "mail.", name=user.display_name, days=days, link=link))


def _mail_signup_attempt(email: str, locale: str | None) -> None:
    """Tell the owner of a taken e-mail that someone tried to sign up with it (maybe they forgot)."""
    with force_locale(locale or str(get_locale())):
        send_mail_or_log(email, _("Someone tried to sign up with your email address"),
                         _("Someone (maybe you) tried to create a DX Talent Hub account with this email address, "
                           "which already has an account. Nothing was changed.\n\nIf it was you, log in:\n%(login)s"
                           "\n\nForgot your password? Choose a new one here:\n%(reset)s\n\nIf it was not you, "
                           "ignore this mail.", login=external_url("auth.login"),
                           reset=external_url("auth.reset_request")))


@bp.route("/signup/sent")
def signup_sent():
    return render_template("auth/signup_sent.html", email=session.get("signup_email"))


@bp.route("/verify")
@login_required
def verify_pending():
    if current_user.is_verified:
        return redirect(home_for(current_user))
    return render_template("auth/verify_pending.html", form=ButtonForm())


@bp.post("/verify/send")
@login_required
@limiter.limit(security.RESEND_PER_ACCOUNT, key_func=security.signed_in_account)
def verify_send():
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    if not current_user.is_verified:
        _mail_verification(current_user)
        flash(_("We sent a new link to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("auth.verify_pending"))


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """The link of the confirmation mail. GET shows a button and POST confirms, so link scanners confirm nothing."""
    db = get_session()
    user = accounts.user_from_verify_token(db, current_app.config["SECRET_KEY"], token,
                                           current_app.config["EMAIL_VERIFY_MAX_AGE"])
    if user is None:
        flash(_("This link has expired or is not valid. Log in to get a new one."), "error")
        return redirect(url_for("auth.verify_pending" if current_user.is_authenticated else "auth.login"))
    form = ButtonForm()
    if form.validate_on_submit():
        accounts.verify_email(db, user)
        db.commit()
        if current_user.is_authenticated and current_user.id == user.id:
            flash(_("Thank you: your email address is confirmed."), "success")
            return redirect(home_for(user))
        flash(_("Thank you: your email address is confirmed. Log in to continue."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/verify_email.html", form=form, email=user.email, verified=user.is_verified)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(security.LOGIN_PER_ADDRESS, methods=["POST"])
@limiter.limit(security.LOGIN_PER_EMAIL, key_func=security.submitted_email, methods=["POST"])
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
    if not permissions.is_waiting_for_approval(current_user):
        return redirect(home_for(current_user))
    return render_template("auth/waiting.html")


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(security.MAILING_PER_ADDRESS, methods=["POST"])
@limiter.limit(security.MAILING_PER_EMAIL, key_func=security.submitted_email, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        db = get_session()
        user = accounts.find_user(db, form.email.data)
        if user is not None and user.is_active:
            token = accounts.make_reset_token(current_app.config["SECRET_KEY"], user)
            link = external_url("auth.reset_password", token=token)
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            with force_locale(user.locale or str(get_locale())):
                send_mail_or_log(user.email, _("Reset your DX Talent Hub password"),
                                 _("Open this link within %(minutes)s minutes to choose a new password:\n\n"
                                   "%(link)s\n\nIf you did not ask for this, ignore this mail.",
                                   minutes=minutes, link=link))
        # The same answer either way (and when the mail server is down), so the form reveals nothing.
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
    form = ResetPasswordForm(account_email=user.email)
    if form.validate_on_submit():
        accounts.set_password(db, user, form.password.data)  # ends every session of the account
        accounts.verify_email(db, user)  # the link reached the mailbox
        db.commit()
        logout_user()
        flash(_("Your password is changed and you were signed out everywhere. Log in with the new one."),
              "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, token=token)


@bp.route("/", methods=["GET", "POST"])
@login_required
@limiter.limit(security.PASSWORD_CHANGE_PER_ACCOUNT, key_func=security.signed_in_account, methods=["POST"])
def account():
    """The signed-in user's account: their e-mail and role, and changing the password."""
    form = ChangePasswordForm(account_email=current_user.email)
    if form.validate_on_submit():
        db = get_session()
        try:
            accounts.change_password(db, current_user, form.current.data, form.password.data)
        except accounts.WrongPassword:
            form.current.errors.append(_("This is not your current password."))
        else:
            db.commit()
            # Every other session and remember-me cookie named the old auth version; this one carries on.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(current_user._get_current_object(), remember=remembered)
            flash(_("Your password is changed. You were signed out on every other device."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)
