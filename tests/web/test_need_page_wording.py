"""The need page speaks each language properly and shows, on the shortlist, why the hub proposed someone."""
from __future__ import annotations

from sqlalchemy import select

from hub.models import ShortlistEntry
from tests.support import post_form
from tests.web.needs_factories import expert, login, need, org, user


def _page(client, session, locale):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri, locale=locale)
    row = need(session, shiojiri, skills={"backend_dev": 3})
    candidate = expert(session, name="強い 候補", skills={"backend_dev": 4})
    expert(session, name="時間なし", skills={"backend_dev": 4}, hours=0)
    login(client, staff)
    return row, candidate


def test_need_page_japanese_lists_use_japanese_punctuation(client, session):
    row, _ = _page(client, session, "ja")
    html = client.get(f"/needs/{row.id}?lang=ja").get_data(as_text=True)
    assert "1人を除外：期間中の残り時間なし 1人。" in html


def test_need_page_separates_asked_gaps_from_usual_ones(client, session):
    row, _ = _page(client, session, "en")
    html = client.get(f"/needs/{row.id}?lang=en").get_data(as_text=True)
    assert "Also lacking" in html  # stage-prior items the officer did not ask for, shown apart and explained
    assert "usual for the need&#39;s stages" in html or "usual for the need's stages" in html


def test_need_page_shortlist_shows_the_stored_explanation(client, session):
    row, candidate = _page(client, session, "en")
    response = post_form(client, f"/needs/{row.id}/shortlist", {"expert_id": candidate.id},
                         form_url=f"/needs/{row.id}")
    assert response.status_code == 302
    entry = session.scalar(select(ShortlistEntry).where(ShortlistEntry.need_id == row.id))
    html = client.get(f"/needs/{row.id}").get_data(as_text=True)
    shortlist = html.split('id="shortlist"')[1]
    assert "Why the hub proposed them, when shortlisted" in shortlist
    assert "Matched skills" in shortlist and entry.weights["version"] in shortlist
