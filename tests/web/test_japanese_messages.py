"""Japanese pages say what is wrong in natural Japanese: forms posted with bad input in ja show no English and
none of WTForms' own mechanical messages (「無効な整数です。」, 「数値は 0 以上, 744 以下でなければいけません。」),
and the hub's catalog words WTForms' built-in messages (hub/forms/messages.py)."""
from __future__ import annotations

import glob
import html as html_lib
import re
from pathlib import Path

import pytest
import wtforms
from babel.messages.pofile import read_po

from hub.forms import messages
from tests.support import post_form
from tests.web.needs_factories import expert, login, need, org, user

WTFORMS_JA = Path(glob.glob(str(Path(wtforms.__file__).parent / "locale" / "ja" / "LC_MESSAGES" / "wtforms.po"))[0])


def _wtforms_catalog():
    with WTFORMS_JA.open("rb") as f:
        return [m for m in read_po(f, locale="ja") if m.id]


# WTForms' own Japanese: none of it may reach a page (its own words, and the tell-tale fragments).
MECHANICAL = sorted({s for m in _wtforms_catalog() for s in ([m.string] if isinstance(m.string, str) else m.string)
                     if s} | {"フィールド", "無効な", "でなければいけません", "でなければなりません", " , "})
ERROR = re.compile(r'<(?:p|div) class="(?:error|flash flash-error)"[^>]*>(.*?)</(?:p|div)>', re.S)
# What may be Latin in a Japanese message: e-mail addresses, URLs, dates, codes and the examples they give.
ALLOWED_LATIN = re.compile(r"\S+@\S+|https?://\S+|\b(?:DX|IT|AI|API|URL|MAC|IP|UUID|X|D|XD|UX)\b|\d{4}-W\d+")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def error_texts(page: str) -> list[str]:
    return [html_lib.unescape(re.sub(r"<[^>]+>", " ", m)).strip() for m in ERROR.findall(page)]


def assert_natural_japanese(page: str, where: str, expect_errors: bool = True) -> list[str]:
    errors = error_texts(page)
    if expect_errors:
        assert errors, f"{where}: bad input but no error shown"
    for text in errors:
        latin = ENGLISH_WORD.findall(ALLOWED_LATIN.sub(" ", text))
        assert not latin, f"{where}: English in a Japanese error: {text!r}"
    visible = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    for fragment in MECHANICAL:
        assert fragment not in visible, f"{where}: WTForms' mechanical Japanese {fragment!r} on the page"
    assert "·" not in visible, f"{where}: «·» instead of 「・」"
    return errors


def test_every_wtforms_message_is_in_our_list_except_programming_errors():
    ours = {m if isinstance(m, str) else m[0] for m in messages.BUILT_IN}
    theirs = {m.id if isinstance(m.id, str) else m.id[0] for m in _wtforms_catalog()}
    assert theirs - ours == {"Invalid field name '%s'.", "Choices cannot be None."}


def test_a_form_of_any_author_gets_our_wording(app):
    """Any FlaskForm, also one written after this test, reads WTForms' messages from the hub's catalog."""
    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict
    from wtforms import DateField, IntegerField, StringField
    from wtforms.validators import InputRequired, NumberRange

    class Anything(FlaskForm):
        class Meta:
            csrf = False
        hours = IntegerField(validators=[NumberRange(min=0, max=744)])
        count = IntegerField()
        day = DateField()
        name = StringField(validators=[InputRequired()])

    with app.test_request_context("/?lang=ja"):
        app.preprocess_request()  # the before_request hooks, as for a real request
        form = Anything(formdata=MultiDict({"hours": "999", "count": "abc", "day": "2027-13-45", "name": ""}))
        assert not form.validate()
        assert form.hours.errors == ["0から744までの数を入力してください。"]
        assert form.count.errors[0].startswith("整数で入力してください")
        assert form.day.errors[0].startswith("日付を正しく入力してください")
        assert form.name.errors == ["入力してください。"]
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        form = Anything(formdata=MultiDict({"hours": "999", "count": "abc", "day": "x", "name": ""}))
        assert not form.validate()
        assert form.hours.errors == ["Number must be between 0 and 744."]
        assert form.count.errors == ["Not a valid integer value."]


@pytest.fixture
def world(session):
    shiojiri = org(session)
    officer = user(session, "org_staff", shiojiri, locale="ja")
    person = expert(session, name="今野 陽介")
    row = need(session, shiojiri, created_by_id=officer.id)
    admin = user(session, "admin", locale="ja")
    return {"officer": officer, "expert": person, "need": row, "admin": admin}


SIGN_UP = [
    ("/account/signup/expert", {"name": "", "email": "not-an-email", "talent_type": "Q", "password": "short",
                                "confirm": "other"}),
    ("/account/signup/staff", {"name": "山田", "email": "x@", "organization_code": "",
                               "password": "a" * 300, "confirm": ""}),
    ("/account/login", {"email": "", "password": ""}),
    ("/account/reset", {"email": "nobody"}),
]


@pytest.mark.parametrize(("url", "data"), SIGN_UP, ids=[u for u, _ in SIGN_UP])
def test_sign_up_and_login_forms_answer_bad_input_in_natural_japanese(client, url, data):
    page = post_form(client, f"{url}?lang=ja", data).get_data(as_text=True)
    assert 'lang="ja"' in page
    assert_natural_japanese(page, url)


EXPERT_FORMS = [
    ("/experts/me/profile/hours", {"hours_per_month": "999", "available_from": "tomorrow",
                                   "available_until": "2027-02-30"}),
    ("/experts/me/profile/work", {"max_travel_km": "99999", "home": "存在しない町"}),
    ("/experts/me/profile/fee", {"fee_unit": "week", "fee_amount": "1e3"}),
    ("/experts/me/profile/basics", {"name": "", "talent_type": "", "email": "a@b", "bio": "x" * 5000}),
    ("/experts/me/engagements/new", {"title": "", "organization": "", "start": "", "end": "0202-04-01",
                                     "hours_per_month": "x", "status": "maybe"}),
]


@pytest.mark.parametrize(("url", "data"), EXPERT_FORMS, ids=[u for u, _ in EXPERT_FORMS])
def test_expert_forms_answer_bad_input_in_natural_japanese(client, world, url, data):
    login(client, world["expert"].user)
    page = post_form(client, f"{url}?lang=ja", data).get_data(as_text=True)
    assert_natural_japanese(page, url)


def test_need_form_answers_bad_input_in_natural_japanese(client, world):
    login(client, world["officer"])
    data = {"title": "", "description": "", "work_style": "boat", "location_lg_code": "999999",
            "hours_per_month": "abc", "start": "2027-13-45", "end": "", "budget_unit": "hour", "budget_max": "-5",
            "engagement_form": "", "skills-0-skill_id": "nonsense", "skills-0-min_level": "9",
            "skills-0-must": "maybe", "save": "1"}
    page = post_form(client, "/needs/new?lang=ja", data).get_data(as_text=True)
    errors = assert_natural_japanese(page, "/needs/new")
    assert any("整数で入力してください" in e for e in errors), errors
    page = post_form(client, "/needs/new?lang=ja", {**data, "hours_per_month": "9999"}).get_data(as_text=True)
    errors = assert_natural_japanese(page, "/needs/new")
    assert any("1から744までの数を入力してください" in e for e in errors), errors


def test_filters_of_the_need_search_and_audit_pages_answer_in_natural_japanese(client, world):
    login(client, world["officer"])
    page = client.get(f"/needs/{world['need'].id}?lang=ja&min_hours=abc&show=9999&w_skill=500").get_data(as_text=True)
    assert_natural_japanese(page, "need page filters", expect_errors=False)
    page = client.get("/search/experts?lang=ja&min_hours=-1&max_fee=abc&page=x").get_data(as_text=True)
    assert_natural_japanese(page, "search filters", expect_errors=False)
    login(client, world["admin"])
    page = client.get("/admin/audit?lang=ja&since=2027-13-45&page=abc").get_data(as_text=True)
    assert_natural_japanese(page, "audit filters")


CATALOG = Path(__file__).resolve().parents[2] / "hub" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"
KANA_KANJI = "ぁ-んァ-ヶー一-龠々"
STRAY_SPACE = re.compile(rf"%\(\w+\)[sd] (?=[{KANA_KANJI}])|(?<=[{KANA_KANJI}、。]) %\(\w+\)[sd]")


def test_the_japanese_catalog_has_no_stray_spaces_and_no_middle_dots():
    """「長野県塩尻市にあなたの…」, not 「長野県塩尻市 にあなたの…」; 「・」, not «·»."""
    with CATALOG.open("rb") as f:
        catalog = [m for m in read_po(f, locale="ja") if m.id]
    bad = []
    for message in catalog:
        for text in [message.string] if isinstance(message.string, str) else message.string:
            if STRAY_SPACE.search(text) or "·" in text:
                bad.append(text)
    assert bad == []
