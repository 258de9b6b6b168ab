"""/roster/import through the test client (CSRF on): upload, errors shown with nothing written, the import job and
its progress page, with and without a queue (RQ on Redis DB 7), roles refused, a 20 MB body, the templates."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from hub import limits
from hub.models import ExpertProfile, Job, RosterUpload
from hub.services.organizations import create_organization
from tests.hub.test_jobs import REDIS_URL, _redis_reachable, _work
from tests.support import csrf_token_from
from tests.web.needs_factories import expert, login, org, user

GOOD = "管理番号,氏名,メール,月あたり稼働時間\nW-1,名簿 一郎,ichiro@example.jp,20\nW-2,名簿 二子,,10\n".encode("cp932")
BAD = "管理番号,氏名,メール\nW-1,名簿 一郎,ichiro@@example\nW-2,,\n".encode()


@pytest.fixture
def bureau(session):
    shinetsu = create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU")
    account = user(session, "bureau_staff", shinetsu, locale="ja")
    session.commit()
    return account


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _multipart(fields: dict[str, str], data: bytes, name: str) -> tuple[bytes, str]:
    """A browser's body, built here: the test client would spool a large body to a file it never closes."""
    boundary = "----roster-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _post(client, data: bytes, name: str = "名簿.csv", token: str | None = None, **fields):
    token = token or csrf_token_from(client.get("/roster/import").get_data(as_text=True))
    body, content_type = _multipart({"scheme": "adviser", "sheet": "", "csrf_token": token, **fields}, data, name)
    return client.post("/roster/import", data=body, content_type=content_type)


def test_roster_page_imports_a_valid_file_and_shows_the_finished_job(client, session, bureau):
    login(client, bureau)
    page = client.get("/roster/import")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "名簿の取り込み" in html and "/roster/template.xlsx" in html
    response = _post(client, GOOD)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job = session.scalars(select(Job).where(Job.kind == "roster.import")).one()
    assert job.state == "finished" and job.created_by_id == bureau.id
    assert job.result == {"file": "名簿.csv", "rows": 2, "created": 2, "updated": 0}
    assert (_count(session, ExpertProfile), _count(session, RosterUpload)) == (2, 0)  # the bytes are gone
    progress = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "名簿の取り込み" in progress and "追加した人材" in progress
    assert session.scalars(select(ExpertProfile).where(ExpertProfile.external_id == "W-1")).one().scheme_ids == [
        "adviser"]


def test_roster_page_shows_the_errors_and_writes_nothing(client, session, bureau):
    login(client, bureau)
    response = _post(client, BAD, sheet="名簿")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "2件のエラーがあるため、何も取り込んでいません" in html
    assert "2行目、列『メール』: メールアドレスの形式が正しくありません" in html
    assert "3行目、列『氏名』: 空欄にできません" in html
    assert 'value="名簿"' in html and '<option selected value="adviser">' in html  # the form keeps the options
    assert (_count(session, ExpertProfile), _count(session, Job), _count(session, RosterUpload)) == (0, 0, 0)


def test_roster_page_shows_the_first_errors_and_the_count(client, session, bureau):
    login(client, bureau)
    rows = "".join(f"X{i},甲,bad\n" for i in range(limits.ROSTER_ERRORS_SHOWN + 7))
    html = _post(client, ("管理番号,氏名,メール\n" + rows).encode()).get_data(as_text=True)
    assert f"{limits.ROSTER_ERRORS_SHOWN + 7}件のエラー" in html
    assert html.count("メールアドレスの形式が正しくありません") == limits.ROSTER_ERRORS_SHOWN
    assert "ほかに7件のエラーがあります" in html


def test_roster_page_refuses_a_bad_file_with_a_clear_message(client, session, bureau):
    login(client, bureau)
    response = _post(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, name="old.xls")
    assert response.status_code == 422 and "古い形式のExcelファイル（.xls）" in response.get_data(as_text=True)
    response = _post(client, b"", name="empty.csv")
    assert response.status_code == 422 and "ファイルが空です。" in response.get_data(as_text=True)
    token = csrf_token_from(client.get("/roster/import").get_data(as_text=True))
    response = client.post("/roster/import", data={"scheme": "adviser", "csrf_token": token})
    assert response.status_code == 400 and "ファイルを選んでください。" in response.get_data(as_text=True)


def test_roster_page_refuses_a_20_mb_body_with_the_limit(client, session, bureau):
    login(client, bureau)
    response = _post(client, b"a" * (20 * 1024 * 1024))
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "ファイルが10 MBを超えています" in html and 'name="file"' in html
    assert _count(session, RosterUpload) == 0


def test_roster_page_a_file_just_over_the_limit_inside_the_body_limit(client, session, bureau):
    login(client, bureau)
    response = _post(client, b"a" * (limits.ROSTER_FILE_BYTES + 1))
    assert response.status_code == 422 and "ファイルが10 MBを超えています" in response.get_data(as_text=True)


def test_roster_page_needs_the_csrf_token(client, session, bureau):
    login(client, bureau)
    response = client.post("/roster/import", data={"file": (io.BytesIO(GOOD), "a.csv"), "scheme": "adviser"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert _count(session, ExpertProfile) == 0


def test_roster_page_is_for_admins_and_approved_bureau_staff(client, session):
    shinetsu = create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU")
    prefecture = org(session, "200000")
    refused = {"expert": expert(session).user, "municipality": user(session, "org_staff", org(session)),
               "prefecture": user(session, "org_staff", prefecture),
               "unapproved bureau": user(session, "bureau_staff", shinetsu, approved=False)}
    session.commit()
    for who, account in refused.items():
        login(client, account)
        for url in ("/roster/import", "/roster/template.xlsx", "/roster/template.csv"):
            assert client.get(url).status_code == 403, (who, url)
        big = _post(client, b"a" * (20 * 1024 * 1024), token="-")
        assert big.status_code == 413 and 'name="file"' not in big.get_data(as_text=True), who  # no form for them


def test_roster_bureau_may_not_choose_the_external_list(client, session, bureau):
    login(client, bureau)
    html = client.get("/roster/import").get_data(as_text=True)
    assert 'value="adviser"' in html and 'value="external_list"' not in html
    response = _post(client, GOOD, scheme="external_list")
    assert response.status_code == 400 and _count(session, ExpertProfile) == 0


def test_roster_admin_imports_an_external_list(client, session):
    admin = user(session, "admin", locale="en")
    session.commit()
    login(client, admin)
    html = client.get("/roster/import").get_data(as_text=True)
    assert "Import a roster" in html and 'value="external_list"' in html
    assert _post(client, GOOD, scheme="external_list").status_code == 302
    assert session.scalars(select(ExpertProfile).where(ExpertProfile.external_id == "W-2")).one().scheme_ids == [
        "external_list"]


def test_roster_templates_download(client, session, bureau):
    login(client, bureau)
    xlsx = client.get("/roster/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["Cache-Control"] == "private, no-store"
    assert "filename*=UTF-8''%E5%90%8D%E7%B0%BF" in xlsx.headers["Content-Disposition"]  # 名簿テンプレート.xlsx
    csv = client.get("/roster/template.csv")
    assert csv.mimetype == "text/csv" and csv.data.decode("utf-8-sig").startswith("管理番号,氏名,メール")


@pytest.fixture
def queued_app(app):
    if not _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379 (the RQ tests use its DB 7)")
    from redis import Redis
    Redis.from_url(REDIS_URL).flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    app.config["JOB_QUEUE"] = "hub-test"
    yield app
    Redis.from_url(REDIS_URL).flushdb()


def test_roster_with_a_queue_the_worker_reads_the_stored_file(queued_app, client, session, bureau):
    login(client, bureau)
    response = _post(client, GOOD)
    assert response.status_code == 302
    job = session.scalars(select(Job).where(Job.kind == "roster.import")).one()
    assert job.state == "queued" and _count(session, RosterUpload) == 1 and _count(session, ExpertProfile) == 0
    assert 'http-equiv="refresh"' in client.get(response.headers["Location"]).get_data(as_text=True)
    _work(queued_app)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.state == "finished" and job.result["created"] == 2 and job.progress == job.total == 2
    assert (_count(session, ExpertProfile), _count(session, RosterUpload)) == (2, 0)


def test_roster_with_a_queue_the_job_checks_again_and_writes_nothing(queued_app, client, session, bureau):
    login(client, bureau)
    assert _post(client, GOOD).status_code == 302
    job = session.scalars(select(Job).where(Job.kind == "roster.import")).one()
    own = expert(session, name="本人")  # meanwhile someone registers under one of the file's IDs
    own.external_id = "W-2"
    session.commit()
    _work(queued_app)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.state == "failed" and "3行目、列『管理番号』" in job.error
    assert _count(session, RosterUpload) == 0
    assert session.scalars(select(ExpertProfile.external_id)).all() == ["W-2"]  # W-1 was not written either
