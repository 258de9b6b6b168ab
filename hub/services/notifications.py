"""Tell people about things that concern them.

Experts: a published need that fits, a contact request, a withdrawn request, an engagement's milestones.
Staff: an expert's answer to a contact request, new candidates that fit a published need, an engagement's
milestones (started, completed, evaluated by a colleague; its end date passed and it is still running).
Every notice links the record it is about (`link_of`).

Each notice is an in-app `Notification` and, when the expert has an email address, a mail through
hub/mail.py (SMTP, or the log in development). Mail and notice are written in the expert's language.
The notice is part of the caller's transaction; the mail goes out only once that transaction committed
(hub.db.after_commit), so no mail announces a change that was rolled back.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub import format_list
from hub.db import after_commit, utcnow
from hub.mail import external_url
from hub.models import ExpertProfile, Need, Notification, ShortlistEntry, User

log = logging.getLogger(__name__)

NEED_PUBLISHED = "need_published"
CONTACT_REQUEST = "contact_request"
CONTACT_WITHDRAWN = "contact_withdrawn"
CONTACT_ANSWERED = "contact_answered"  # to staff: payload["answer"] is "accepted" or "declined"
NEW_CANDIDATES = "new_candidates"  # to staff: payload["expert_ids"] are the newly fitting experts
ENGAGEMENT_MILESTONE = "engagement_milestone"  # payload["milestone"]: started, completed, evaluated, overdue
MILESTONES = ("started", "completed", "evaluated", "overdue")


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


def mark_read(session: Session, actor: User, notification_id: int | None = None) -> int:
    """Mark the actor's unread notices read (all, or the one with this id); returns how many changed."""
    from hub.services import audit
    query = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    count = session.execute(query.values(read_at=utcnow()), execution_options={"synchronize_session": False}).rowcount
    session.flush()
    audit.record(session, actor, "notification.read", "notification", notification_id or "all", count=count)
    return count


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(session: Session, user: User, limit: int = 50) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


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


# --- linked notices -------------------------------------------------------------------------------------

def link_of(notification: Notification, *, for_expert: bool) -> tuple[str, dict] | None:
    """The endpoint and arguments the notice leads to: its need (the candidates' anchor for staff) or the
    expert's track record for an engagement."""
    if notification.kind == ENGAGEMENT_MILESTONE and for_expert:
        return "experts.engagements", {}
    if notification.need_id is not None:
        args: dict = {"need_id": notification.need_id}
        if not for_expert and notification.kind in (CONTACT_ANSWERED, ENGAGEMENT_MILESTONE):
            args["_anchor"] = "shortlist"
        return "needs.detail", args
    return None


def _notice(session: Session, user: User, kind: str, mail, **columns) -> Notification:
    """Add an in-app notice; `mail()` gives its (subject, body), written and sent only within the application
    (PUBLIC_URL, languages): a verb run on a bare session still leaves the notice."""
    notification = Notification(user_id=user.id, kind=kind, **columns)
    session.add(notification)
    if user.email and has_app_context():
        with force_locale(_locale(user)):
            subject, body = mail()
        _deliver(session, user, notification, str(subject), str(body))
    session.flush()
    return notification


def need_staff(session: Session, need: Need, *, besides: User | None = None) -> list[User]:
    """Who on the staff hears about a need: whoever posted it and whoever shortlisted from it (active,
    approved), else every approved officer of its organization; never the person who acted."""
    from hub.permissions import can_manage_need
    ids = {need.created_by_id} | set(session.scalars(
        select(ShortlistEntry.created_by_id).where(ShortlistEntry.need_id == need.id)))
    ids.discard(None)
    users = [u for u in session.scalars(select(User).where(User.id.in_(ids))) if can_manage_need(u, need)] \
        if ids else []
    if not users:
        users = [u for u in session.scalars(select(User).where(User.organization_id == need.organization_id))
                 if can_manage_need(u, need)]
    return sorted((u for u in users if besides is None or u.id != besides.id), key=lambda u: u.id)


def notify_contact_answered(session: Session, entry: ShortlistEntry) -> list[Notification]:
    """Tell the need's staff that the expert accepted or declined their contact request."""
    need, expert = entry.need, entry.expert

    def mail():
        link = external_url("needs.detail", need_id=need.id) + "#shortlist"
        if entry.state == "accepted":
            return (_("%(name)s accepted your contact request", name=expert.name),
                    _("%(name)s accepted the contact request about \"%(title)s\". Their contact details are "
                      "now shown on the need's page:\n%(link)s", name=expert.name, title=need.title, link=link))
        return (_("%(name)s declined your contact request", name=expert.name),
                _("%(name)s declined the contact request about \"%(title)s\". Other candidates are on the "
                  "need's page:\n%(link)s", name=expert.name, title=need.title, link=link))

    return [_notice(session, user, CONTACT_ANSWERED, mail, need_id=need.id, shortlist_entry_id=entry.id,
                    payload={"title": need.title, "name": expert.name, "answer": entry.state})
            for user in need_staff(session, need)]


def notify_contact_withdrawn(session: Session, entry: ShortlistEntry) -> Notification | None:
    """Tell the expert that the organization no longer asks (their open request disappears)."""
    user = entry.expert.user
    if user is None:
        return None
    need = entry.need

    def mail():
        return (_("Contact request withdrawn: %(title)s", title=need.title),
                _("%(organization)s has withdrawn its contact request about \"%(title)s\". Nothing is asked of "
                  "you.", organization=need.organization.name, title=need.title))

    return _notice(session, user, CONTACT_WITHDRAWN, mail, need_id=need.id, shortlist_entry_id=entry.id,
                   payload={"title": need.title, "organization": need.organization.name})


def notify_engagement(session: Session, engagement, milestone: str, actor: User | None) -> list[Notification]:
    """An engagement's milestone: the expert hears of it (linked to their record), and so do the need's
    staff other than the one who acted."""
    assert milestone in MILESTONES, milestone
    need = session.get(Need, engagement.need_id) if engagement.need_id is not None else None
    payload = {"title": engagement.title, "name": engagement.expert.name, "milestone": milestone}
    recipients = []
    if engagement.expert.user is not None and milestone != "overdue":
        recipients.append((engagement.expert.user, True))
    if need is not None:
        recipients.extend((user, False) for user in need_staff(session, need, besides=actor))

    def mail_for(for_expert: bool):
        def mail():
            link = (external_url("experts.engagements") if for_expert
                    else external_url("needs.detail", need_id=need.id) + "#shortlist")
            subject = str(milestone_text(milestone, engagement.title, name=engagement.expert.name,
                                         for_expert=for_expert))
            return subject, subject + "\n" + link
        return mail

    return [_notice(session, user, ENGAGEMENT_MILESTONE, mail_for(for_expert), need_id=engagement.need_id,
                    engagement_id=engagement.id, payload=payload) for user, for_expert in recipients]


def milestone_text(milestone: str, title: str, *, name: str = "", for_expert: bool = False) -> str:
    """One sentence per milestone, in the current locale (mail subject and in-app text)."""
    if for_expert:
        return {"started": _("Your engagement has started: %(title)s", title=title),
                "completed": _("Your engagement is completed: %(title)s", title=title),
                "evaluated": _("Your engagement was evaluated: %(title)s", title=title)}[milestone]
    return {"started": _("Engagement with %(name)s started: %(title)s", name=name, title=title),
            "completed": _("Engagement with %(name)s completed; please evaluate it: %(title)s", name=name,
                           title=title),
            "evaluated": _("Engagement with %(name)s evaluated: %(title)s", name=name, title=title),
            "overdue": _("The engagement with %(name)s has passed its end date: complete it: %(title)s", name=name,
                         title=title)}[milestone]


def notify_new_candidates(session: Session, *, top_n: int = 5, now: datetime | None = None) -> list[Notification]:
    """For each open, published need: tell its staff about experts who now rank in its top `top_n` and of
    whom they have not yet heard (not shortlisted, not in an earlier notice). Run daily (flask notify-staff)."""
    now = now or utcnow()
    engine = current_app.extensions["hub.matcher"]
    out = []
    for need in session.scalars(select(Need).where(Need.status == "open", Need.published_at.is_not(None))
                                .order_by(Need.id)):
        outcome = engine.rank(session, need, top_k=top_n)
        known = {e.expert_id for e in need.shortlist}
        for (ids,) in session.execute(select(Notification.payload).where(
                Notification.need_id == need.id, Notification.kind == NEW_CANDIDATES)):
            known.update((ids or {}).get("expert_ids", []))
        fresh = [m.expert_id for m in outcome.matches if m.expert_id not in known and m.expert_id in outcome.experts]
        if not fresh:
            continue
        names = [outcome.experts[i].name for i in fresh]

        def mail(need=need, fresh=fresh, names=names):
            return (_("New candidates for %(title)s", title=need.title),
                    _("%(count)d experts now fit \"%(title)s\" well: %(names)s\n%(link)s", count=len(fresh),
                      title=need.title, names=format_list(names), link=external_url("needs.detail", need_id=need.id)))

        out.extend(_notice(session, user, NEW_CANDIDATES, mail, need_id=need.id, created_at=now,
                           payload={"title": need.title, "expert_ids": fresh, "names": names})
                   for user in need_staff(session, need))
    return out


def notify_overdue_engagements(session: Session, today) -> list[Notification]:
    """Active engagements whose end date has passed: remind the need's staff once to complete them."""
    from hub.models import Engagement
    out = []
    for engagement in session.scalars(select(Engagement).where(
            Engagement.status == "active", Engagement.end_date < today, Engagement.need_id.is_not(None))
            .order_by(Engagement.id)):
        sent = session.scalars(select(Notification.payload).where(
            Notification.engagement_id == engagement.id, Notification.kind == ENGAGEMENT_MILESTONE))
        if not any((payload or {}).get("milestone") == "overdue" for payload in sent):
            out.extend(notify_engagement(session, engagement, "overdue", None))
    return out
