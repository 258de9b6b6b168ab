"""The import and export commands: exit status, the report on stderr, JSONL alone on stdout, one commit."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from hub.models import AuditEvent, ExpertProfile, Need

EXPERT = {"external_id": "CLI1", "name": "高橋 三郎", "talent_type": "D", "skills": {"sre": 3},
          "home_lg_code": "272027", "hours_per_month": 20}
NEED = {"external_id": "CN1", "org_lg_code": "272027", "title": "庁内クラウド移行", "stages": ["development"],
        "work_style": "remote", "hours_per_month": 10, "start": "2027-04-01", "engagement_form": "contract"}


def _write(path, *objects) -> str:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), encoding="utf-8")
    return str(path)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_interchange_cli_imports_and_reports_on_stderr(app, session, tmp_path):
    result = app.test_cli_runner().invoke(args=["import-experts", _write(tmp_path / "e.jsonl", EXPERT)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "1 created, 0 updated" in result.stderr
    assert _count(session, ExpertProfile) == 1
    event = session.scalars(select(AuditEvent)).one()
    assert (event.action, event.entity, event.details["created"]) == ("expert.import", "expert", 1)


def test_interchange_cli_bad_file_exits_nonzero_and_writes_nothing(app, session, tmp_path):
    bad = _write(tmp_path / "e.jsonl", EXPERT, EXPERT | {"external_id": "CLI2", "skills": {"sre": 7}},
                 EXPERT | {"external_id": "CLI3", "home_lg_code": 272027})
    result = app.test_cli_runner().invoke(args=["import-experts", bad])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "line 2: skills.sre: 7 is out of range 0–4",
        "line 3: home_lg_code: must be a string, not a number (quote codes: a number loses leading zeros)"]
    assert "nothing was imported" in result.stderr
    assert (_count(session, ExpertProfile), _count(session, AuditEvent)) == (0, 0)


def test_interchange_cli_reimport_updates(app, session, tmp_path):
    path = _write(tmp_path / "e.jsonl", EXPERT)
    runner = app.test_cli_runner()
    runner.invoke(args=["import-experts", path])
    result = runner.invoke(args=["import-experts", path])
    assert "0 created, 1 updated" in result.stderr
    assert _count(session, ExpertProfile) == 1


def test_interchange_cli_picks_csv_by_extension_or_option(app, session, tmp_path):
    (tmp_path / "e.csv").write_text("external_id,name,talent_type\nCSV1,中村 四郎,X\n", encoding="utf-8")
    (tmp_path / "e.txt").write_text("external_id,name,talent_type\nCSV2,中村 五郎,X\n", encoding="utf-8")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import-experts", str(tmp_path / "e.csv")]).exit_code == 0
    unknown = runner.invoke(args=["import-experts", str(tmp_path / "e.txt")])
    assert unknown.exit_code == 2 and "--format" in unknown.stderr
    assert runner.invoke(args=["import-experts", "--format", "csv", str(tmp_path / "e.txt")]).exit_code == 0
    assert _count(session, ExpertProfile) == 2


def test_interchange_cli_export_writes_only_jsonl_to_stdout(app, session, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["import-experts", _write(tmp_path / "e.jsonl", EXPERT, EXPERT | {"external_id": "CLI0"})])
    result = runner.invoke(args=["export-experts"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [json.loads(line)["external_id"] for line in lines] == ["CLI0", "CLI1"]
    assert json.loads(lines[1])["name"] == "高橋 三郎" and "高橋" in lines[1]  # UTF-8, not \\u escapes
    assert "Exported 2 experts" in result.stderr


def test_interchange_cli_needs_round_trip_through_files(app, session, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import-needs", _write(tmp_path / "n.jsonl", NEED)]).exit_code == 0
    out = tmp_path / "out.jsonl"
    assert runner.invoke(args=["export-needs", str(out)]).exit_code == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["external_id"] == "CN1" and exported["location_lg_code"] == "272027"
    again = runner.invoke(args=["import-needs", str(out)])
    assert "0 created, 1 updated" in again.stderr
    assert _count(session, Need) == 1
    assert not (tmp_path / "out.jsonl.partial").exists()


def test_interchange_cli_bad_needs_file_exits_nonzero(app, session, tmp_path):
    result = app.test_cli_runner().invoke(args=["import-needs", _write(tmp_path / "n.jsonl",
                                                                       NEED | {"stages": ["nope"]})])
    assert result.exit_code == 1 and "line 1: stages[0]: unknown stage id 'nope'" in result.stderr
    assert _count(session, Need) == 0
