"""Tell experts about things that concern them: a published need that fits, a contact request.

Each notice is an in-app `Notification` and, when the expert has an email address, a mail through
hub/mail.py (SMTP, or the log in development). Mail and notice are written in the expert's language.
The notice is part of the caller's transaction; the mail goes out only once that transaction committed
(hub.db.after_commit), so no mail announces a change that was rolled back.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.db import after_commit, utcnow
from hub.mail import external_url
from hub.models import ExpertProfile, Need, Notification, ShortlistEntry, User

log = logging.getLogger(__name__)

NEED_PUBLISHED = "need_published"
CONTACT_REQUEST = "contact_request"


def _deliver(session: Session, user: User, notification: Notification, subject: str, body: str) -> None:
    """Mail the notice after the commit; a mail server that fails leaves the in-app notice (mailed stays False)."""
    session.flush()  # the notice's id, for marking it mailed
    after_commit(session, _send, session.get_bind(), notification.id, user.id, user.email, str(subject), str(body))


def _send(bind, notification_id: int, user_id: int, to: str, subject: str, body: str) -> None:
    from hub.mail import send_mail
    try:
        send_mail(to, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to user %s failed: %s", user_id, exc)
        return
    with Session(bind=bind, join_transaction_mode="create_savepoint") as session:
        session.execute(update(Notification).where(Notification.id == notification_id).values(mailed=True))
        session.commit()


def _locale(user: User) -> str:
    return user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "ja")


def sent_today(session: Session, user_ids: list[int], kind: str, now: datetime) -> dict[int, int]:
    """Return user id -> notices of `kind` they got in the 24 hours before `now`."""
    if not user_ids:
        return {}
    since = now - timedelta(days=1)
    return dict(session.execute(
        select(Notification.user_id, func.count()).where(
            Notification.user_id.in_(user_ids), Notification.kind == kind, Notification.created_at > since)
        .group_by(Notification.user_id)).all())


def notify_need_published(session: Session, need: Need, *, now: datetime | None = None) -> list[Notification]:
    """Notify the best-fitting experts who opted in, at most NOTIFY_DAILY_CAP notices per expert per day.

    The matcher's hard filters already drop inactive and unlisted experts; here the ranking is cut to
    experts with an account who opted in and have not reached today's cap, best first, NOTIFY_TOP_N of them.
    """
    config = current_app.config
    top_n, cap = int(config["NOTIFY_TOP_N"]), int(config["NOTIFY_DAILY_CAP"])
    if top_n <= 0 or cap <= 0:
        return []
    now = now or utcnow()
    engine = current_app.extensions["hub.matcher"]
    # Rank deeper than top_n: some of the best will not have opted in or be over their cap.
    outcome = engine.rank(session, need, top_k=top_n * 4)
    experts = [outcome.experts[m.expert_id] for m in outcome.matches if m.expert_id in outcome.experts]
    # One query for the accounts; `expert.user` below then comes from the identity map.
    account_ids = [e.user_id for e in experts if e.user_id is not None]
    if account_ids:
        session.scalars(select(User).where(User.id.in_(account_ids))).all()
    eligible = [e for e in experts if e.notify_opt_in and e.listed and e.status == "active" and e.user is not None
                and e.user.is_active]
    counts = sent_today(session, [e.user_id for e in eligible], NEED_PUBLISHED, now)
    scores = {m.expert_id: m.score for m in outcome.matches}
    link = external_url("needs.detail", need_id=need.id)
    out = []
    for expert in eligible:
        if len(out) >= top_n:
            break
        if counts.get(expert.user_id, 0) >= cap:
            continue
        notification = Notification(user_id=expert.user_id, kind=NEED_PUBLISHED, need_id=need.id,
                                    payload={"title": need.title, "organization": need.organization.name,
                                             "score": round(float(scores[expert.id]), 4)},
                                    created_at=now)
        session.add(notification)
        with force_locale(_locale(expert.user)):
            subject = _("New need that fits your profile: %(title)s", title=need.title)
            body = _("%(organization)s has published a need that fits your profile:\n\n%(title)s\n%(link)s\n\n"
                     "You receive this mail because you asked to be told about fitting needs; you can turn it "
                     "off in your profile.", organization=need.organization.name, title=need.title, link=link)
        _deliver(session, expert.user, notification, subject, body)
        out.append(notification)
    session.flush()
    log.info("need %s published: %d experts notified", need.external_id, len(out))
    return out


def notify_contact_request(session: Session, entry: ShortlistEntry, expert: ExpertProfile) -> Notification | None:
    """Tell the expert that an organization asks to contact them (no account: nothing to notify)."""
    user = expert.user
    if user is None:
        return None
    need = entry.need
    notification = Notification(user_id=user.id, kind=CONTACT_REQUEST, need_id=need.id,
                                shortlist_entry_id=entry.id,
                                payload={"title": need.title, "organization": need.organization.name})
    session.add(notification)
    link = external_url("needs.detail", need_id=need.id)
    with force_locale(_locale(user)):
        subject = _("Contact request from %(organization)s", organization=need.organization.name)
        body = _("%(organization)s would like to contact you about the need \"%(title)s\".\n%(link)s\n\n"
                 "%(message)s\n\nAccept or decline the request on your dashboard; your contact details are shown "
                 "to the organization only if you accept.", organization=need.organization.name,
                 title=need.title, link=link, message=entry.message or "")
    if expert.email or user.email:
        _deliver(session, user, notification, subject, body)
    session.flush()
    return notification
