"""GET /api/v1/needs/<id>/matches and `flask match --json`: the same JSON array, and clear 4xx answers."""
from __future__ import annotations

import json

from hub.cli import match_command
from matching import SIGNALS
from tests.web.needs_factories import expert, login, need, org, user


def _data(session):
    shiojiri = org(session)
    row = need(session, shiojiri, skills={"backend_dev": 3})
    for i in range(4):
        expert(session, name=f"候補{i}", skills={"backend_dev": 1 + i})
    return shiojiri, row


def test_api_answers_the_cli_json_exactly(app, client, session):
    shiojiri, row = _data(session)
    login(client, user(session, "org_staff", shiojiri))
    response = client.get(f"/api/v1/needs/{row.external_id}/matches?top=3")
    assert response.status_code == 200 and response.is_json
    answer = response.get_json()
    assert len(answer) == 3
    for item in answer:
        assert set(item) == {"external_id", "score", "signals", "explanation"}
        assert set(item["signals"]) == set(SIGNALS)
        assert {"matched_skills", "gaps", "remaining_hours", "rating", "fee"} <= set(item["explanation"])
    assert [a["score"] for a in answer] == sorted((a["score"] for a in answer), reverse=True)
    assert client.get(f"/api/v1/needs/{row.id}/matches?top=3").get_json() == answer  # the database id works too

    result = app.test_cli_runner().invoke(match_command, [row.external_id, "--top", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == answer


def test_cli_human_table_and_unknown_need(app, session):
    shiojiri, row = _data(session)
    runner = app.test_cli_runner()
    result = runner.invoke(match_command, [row.external_id, "--top", "2"])
    assert result.exit_code == 0 and row.external_id in result.stdout and "score" in result.stdout
    result = runner.invoke(match_command, ["NOPE", "--json"])
    assert result.exit_code != 0 and "NOPE" in result.stderr and result.stdout == ""


def test_api_errors_are_json(client, session):
    shiojiri, row = _data(session)
    assert client.get(f"/api/v1/needs/{row.id}/matches").status_code == 401
    assert client.get(f"/api/v1/needs/{row.id}/matches").get_json()["error"] == "Unauthorized"
    login(client, user(session, "expert"))
    assert client.get(f"/api/v1/needs/{row.id}/matches").status_code == 403
    login(client, user(session, "org_staff", shiojiri))
    for bad in ("0", "-1", "abc", "1.5", "100000"):
        response = client.get(f"/api/v1/needs/{row.id}/matches?top={bad}")
        assert response.status_code == 400 and "top" in response.get_json()["fields"]
    missing = client.get("/api/v1/needs/NOPE/matches")
    assert missing.status_code == 404 and missing.is_json
    assert client.get("/api/v1/needs/123456/missing").is_json


def test_api_hides_drafts_of_other_organizations(client, session):
    shiojiri = org(session)
    draft = need(session, shiojiri, status="draft")
    login(client, user(session, "org_staff", org(session, "202029")))
    assert client.get(f"/api/v1/needs/{draft.external_id}/matches").status_code == 404
    login(client, user(session, "org_staff", shiojiri))
    assert client.get(f"/api/v1/needs/{draft.external_id}/matches").status_code == 200
