"""Staff search over listed experts: who may search, each filter, pagination, and a bounded number of queries."""
from __future__ import annotations

import re

from sqlalchemy import event

from tests.web.web_accounts_support import (SHIOJIRI, add_engagement, forget_current_user, login, make_expert,
                                            make_staff)


def _staff_client(client, session):
    make_staff(session, "dx@city.shiojiri.lg.jp")
    forget_current_user()
    login(client, "dx@city.shiojiri.lg.jp")
    forget_current_user()
    return client


def _names(response) -> list[str]:
    return re.findall(r'<h3><a href="/experts/\d+">([^<]+)</a></h3>', response.get_data(as_text=True))


def test_only_approved_staff_may_search(client, session):
    assert client.get("/search/experts").status_code == 302  # anonymous: to the login page
    make_staff(session, "waiting@city.shiojiri.lg.jp", approved=False)
    make_expert(session, "hanako@example.jp")
    login(client, "waiting@city.shiojiri.lg.jp")
    forget_current_user()
    assert client.get("/search/experts").status_code == 403
    other = client.application.test_client()
    forget_current_user()
    login(other, "hanako@example.jp")
    forget_current_user()
    assert other.get("/search/experts").status_code == 403


def test_free_text_needs_every_word_in_name_bio_or_engagements(client, session):
    a = make_expert(session, name="山田 花子", bio="防災アプリの開発を主導")
    add_engagement(session, a, title="オンデマンドバス導入")
    make_expert(session, name="佐藤 太郎", bio="防災計画の策定支援")
    make_expert(session, name="Suzuki Ken", bio="Cloud migration for city halls")
    client = _staff_client(client, session)
    assert sorted(_names(client.get("/search/experts?q=防災"))) == ["佐藤 太郎", "山田 花子"]
    assert _names(client.get("/search/experts?q=防災+オンデマンド")) == ["山田 花子"]
    assert _names(client.get("/search/experts?q=CLOUD+city")) == ["Suzuki Ken"]  # case-insensitive
    assert _names(client.get("/search/experts?q=100%25")) == []  # % is a character, not a wildcard


def test_skill_prefecture_type_work_style_and_scheme_filters(client, session):
    make_expert(session, name="A", skills={"backend_dev": 3}, home_lg_code=SHIOJIRI, talent_type="D",
                onsite=True, schemes=["adviser"])
    make_expert(session, name="B", skills={"backend_dev": 1}, home_lg_code="131016", talent_type="XD")
    make_expert(session, name="C", skills={"user_understanding": 4}, talent_type="X", resident=True)
    client = _staff_client(client, session)
    assert _names(client.get("/search/experts?skill_1=backend_dev&level_1=2")) == ["A"]
    assert sorted(_names(client.get("/search/experts?skill_1=backend_dev&level_1=1"))) == ["A", "B"]
    assert _names(client.get("/search/experts?prefecture=13")) == ["B"]
    assert sorted(_names(client.get("/search/experts?talent_type=X"))) == ["B", "C"]  # XD counts as X
    assert _names(client.get("/search/experts?work_style=resident")) == ["C"]
    assert _names(client.get("/search/experts?work_style=onsite")) == ["A"]
    assert _names(client.get("/search/experts?scheme=adviser")) == ["A"]


def test_minimum_remaining_hours_counts_active_engagements(client, session):
    busy = make_expert(session, name="Busy", hours_per_month=40)
    add_engagement(session, busy, hours=35)
    make_expert(session, name="Free", hours_per_month=20)
    client = _staff_client(client, session)
    assert _names(client.get("/search/experts?min_hours=10")) == ["Free"]
    html = client.get("/search/experts?q=Busy").get_data(as_text=True)
    assert "<b>5</b> / 40" in html


def test_unlisted_and_paused_experts_are_not_found(client, session):
    make_expert(session, name="Listed")
    hidden = make_expert(session, name="Hidden")
    hidden.listed = False
    paused = make_expert(session, name="Paused")
    paused.status = "paused"
    client = _staff_client(client, session)
    assert _names(client.get("/search/experts")) == ["Listed"]


def test_results_are_paginated_and_links_keep_the_query(client, session):
    for i in range(45):
        make_expert(session, name=f"防災 専門家 {i:02d}", bio="防災")
    client = _staff_client(client, session)
    first = client.get("/search/experts?q=防災&sort=name")
    assert len(_names(first)) == 20
    html = first.get_data(as_text=True)
    assert "45" in html
    next_link = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "q=%E9%98%B2%E7%81%BD" in next_link and "sort=name" in next_link and "page=2" in next_link
    third = client.get("/search/experts?q=防災&sort=name&page=3")
    assert _names(third) == [f"防災 専門家 {i:02d}" for i in range(40, 45)]


def test_a_page_of_results_takes_a_bounded_number_of_queries(app, client, session):
    for i in range(30):
        expert = make_expert(session, name=f"E{i:02d}", skills={"backend_dev": 2}, schemes=["adviser"])
        add_engagement(session, expert, hours=5)
    client = _staff_client(client, session)
    statements = []
    engine = session.get_bind()

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/search/experts?skill_1=backend_dev&level_1=1")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(_names(response)) == 20
    assert len(statements) <= 15  # not one query per expert


def test_search_form_keeps_what_was_typed(client, session):
    client = _staff_client(client, session)
    html = client.get("/search/experts?q=防災+DX&min_hours=999").get_data(as_text=True)
    assert 'value="防災 DX"' in html and 'value="999"' in html and 'id="min_hours-error"' in html
