"""The expert's dashboard tells a contact request from a need that merely fits."""
from __future__ import annotations

from sqlalchemy import select

from hub.models import Notification, ShortlistEntry
from hub.services.notifications import notify_contact_request
from tests.web.needs_factories import expert, login, need, org


def test_dashboard_names_each_kind_of_notification(app, client, session):
    shiojiri = org(session)
    row = need(session, shiojiri, skills={"backend_dev": 3}, title="予約システムの開発")
    profile = expert(session, skills={"backend_dev": 4})
    account = profile.user
    entry = ShortlistEntry(need_id=row.id, expert_id=profile.id, state="contacted", message="ぜひ")
    session.add(entry)
    session.flush()
    with app.test_request_context():
        notify_contact_request(session, entry, profile)
    session.add(Notification(user_id=account.id, kind="need_published", need_id=row.id))
    session.flush()
    login(client, account)
    html = client.get("/experts/me?lang=en").get_data(as_text=True)
    assert "Contact request from" in html and "予約システムの開発" in html
    assert html.count("A need that fits you") == 1
    assert session.scalar(select(Notification).where(Notification.kind == "contact_request")) is not None
