"""API tokens on the account page: make one (shown once) and revoke one; the API itself is hub/views/api."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hub import permissions
from hub.db import get_session
from hub.forms.auth import ButtonForm
from hub.forms.tokens import TokenForm
from hub.models import ApiToken
from hub.services import tokens
from hub.services.errors import Refused

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.app_context_processor
def _token_helpers() -> dict:
    """For templates/auth/_api_tokens.html: the signed-in user's live tokens, queried only where it is included."""
    def api_tokens():
        return tokens.live_tokens(get_session(), current_user) if permissions.is_signed_in(current_user) else []
    return {"api_tokens": api_tokens, "TokenForm": TokenForm, "ButtonForm": ButtonForm}


@bp.post("/")
@login_required
def create():
    """Make a token and show it once, on this response only (never in a flash, which lives in the cookie)."""
    form = TokenForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors) or _("Please try again."), "error")
        return redirect(url_for("auth.account") + "#api-tokens")
    session = get_session()
    try:
        row, token = tokens.create_token(session, current_user, current_user, form.name.data)
        session.commit()
    except Refused as exc:
        session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("auth.account") + "#api-tokens")
    response = make_response(render_template("auth/token_created.html", row=row, token=token))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    session = get_session()
    row = session.get(ApiToken, token_id)
    if row is None or not permissions.can_revoke_token(current_user, row):
        abort(404)
    if ButtonForm().validate_on_submit():
        try:
            tokens.revoke_token(session, current_user, row)
            session.commit()
        except Refused as exc:
            flash(str(exc.message), "warning")
        else:
            flash(_("The token “%(name)s” is revoked; it no longer works.", name=row.name), "success")
    return redirect(url_for("auth.account") + "#api-tokens")
