"""Tests of the skill_taxonomy package: shipped data, helpers, and refusal of broken files."""

import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import skill_taxonomy
from skill_taxonomy import TaxonomyError

REPO = Path(__file__).resolve().parents[2]
DSS_FACTS = REPO.parent / "shared/reference/dss_facts.yaml"
STAGES = ["awareness", "problem_identification", "business_model", "product_planning",
          "development", "operations", "ux_operations", "adoption"]


@pytest.fixture(scope="module")
def taxonomy():
    return skill_taxonomy.load()


@pytest.fixture(scope="module")
def dss():
    if not DSS_FACTS.exists():
        pytest.skip(f"{DSS_FACTS} not found")
    return yaml.safe_load(DSS_FACTS.read_text(encoding="utf-8"))


def test_taxonomy_skills_match_dss_reference(taxonomy, dss):
    expected = [(cat["id"], sub["id"], item["id"], item["seq"], item["name_ja"], item["name_en"])
                for cat in dss["categories"] for sub in cat["subcategories"] for item in sub["items"]]
    found = [(cat.id, sub.id, item.id, item.seq, item.name_ja, item.name_en)
             for cat in taxonomy.categories for sub in cat.subcategories for item in sub.items]
    assert found == expected
    counts = dss["counts"]["dss_p"]
    assert len(taxonomy.categories) == counts["categories"] == 5
    assert sum(len(cat.subcategories) for cat in taxonomy.categories) == counts["subcategories"] == 12
    assert len(taxonomy.items) == counts["skill_items"] == 49
    assert taxonomy.item_ids == tuple(item[2] for item in expected)


def test_taxonomy_roles_and_literacy_match_dss_reference(taxonomy, dss):
    assert [(t.id, t.name_ja) for t in taxonomy.people_types.values()] == [
        (t["id"], t["name_ja"]) for t in dss["people_types"]]
    assert [(r.id, r.type_id, r.name_ja) for r in taxonomy.roles.values()] == [
        (r["id"], r["type"], r["name_ja"]) for r in dss["roles"]]
    assert {r.id: r.xd_hint for r in taxonomy.roles.values()} == dss["project_hints_unofficial"]["xd_hint_by_role"]
    assert len(taxonomy.roles) == 15
    assert sum(len(t.role_ids) for t in taxonomy.people_types.values()) == 15
    assert [(a.id, [i.id for i in a.items]) for a in taxonomy.literacy_areas.values()] == [
        (a["id"], [i["id"] for i in a["items"]]) for a in dss["dss_l"]["areas"]]


def test_taxonomy_items_carry_texts_and_axis_order(taxonomy):
    for index, (item_id, item) in enumerate(taxonomy.items.items()):
        assert item.seq == index + 1
        assert taxonomy.item_index[item_id] == index
        assert item.description_ja and item.description_en and item.keywords_ja and item.keywords_en
    assert "データベース" in taxonomy.items["backend_dev"].keywords_ja
    assert taxonomy.items["backend_dev"].subcategory_id == "software_development"
    assert taxonomy.items["backend_dev"].category_id == "technology"


def test_taxonomy_stages_leading_types_and_places(taxonomy):
    assert list(taxonomy.stages) == STAGES
    assert [s.seq for s in taxonomy.stages.values()] == list(range(1, 9))
    assert {s.id: s.leading_type for s in taxonomy.stages.values()} == {
        "awareness": "X", "problem_identification": "X", "business_model": "X", "product_planning": "D",
        "development": "D", "operations": "D", "ux_operations": "X", "adoption": None}
    assert taxonomy.stages["ux_operations"].work_place == "resident"
    assert taxonomy.stages["development"].work_place == "remote_ok"


def test_taxonomy_stage_priors_reference_items_and_cover_hints(taxonomy, dss):
    hints = dss["project_hints_unofficial"]["stage_skill_hints"]
    for stage in taxonomy.stages.values():
        assert 3 <= len(stage.prior) <= 8, stage.id
        assert set(stage.prior) <= set(taxonomy.items), stage.id
        assert all(0 < p.weight <= 1 and p.reason_ja and p.reason_en for p in stage.prior.values())
        assert set(hints[stage.id]) <= set(stage.prior), stage.id


def test_taxonomy_stage_prior_takes_the_highest_weight(taxonomy):
    development = taxonomy.stages["development"].prior
    operations = taxonomy.stages["operations"].prior
    combined = taxonomy.stage_prior(["development", "operations"])
    assert set(combined) == set(development) | set(operations)
    for item_id, weight in combined.items():
        assert weight == max(p.weight for p in (development.get(item_id), operations.get(item_id)) if p)
    assert list(combined) == [i for i in taxonomy.item_ids if i in combined]  # axis order
    assert taxonomy.stage_prior(["development"]) == {i: p.weight for i, p in development.items()}
    assert taxonomy.stage_prior([]) == {}
    with pytest.raises(KeyError, match="nowhere"):
        taxonomy.stage_prior(["nowhere"])


@pytest.mark.parametrize("stage_ids, expected", [
    (["awareness", "problem_identification"], "X"),
    (["development", "operations"], "D"),
    (["business_model", "product_planning"], "XD"),
    (["development", "adoption"], "D"),
    (["adoption"], None),
    ([], None),
    ("ux_operations", "X"),
])
def test_taxonomy_leading_type(taxonomy, stage_ids, expected):
    assert taxonomy.leading_type(stage_ids) == expected


def test_taxonomy_names_follow_the_locale(taxonomy):
    role = taxonomy.roles["backend_engineer"]
    assert role.name() == role.name("ja") == "バックエンドエンジニア"
    assert role.name("en") == role.name("en_US") == role.name("EN-gb") == "Back-end Engineer"
    assert taxonomy.stages["awareness"].name("ja_JP") == "機運醸成"
    assert taxonomy.stages["awareness"].description("en").startswith("Shares")
    assert taxonomy.stages["adoption"].prior["privacy"].reason("en").startswith("Residents")
    assert taxonomy.enums["engagement_forms"]["appointment"].name() == "任用"
    assert taxonomy.fields["disaster_prevention"].name("en") == "Disaster prevention"
    assert taxonomy.levels[0].name("en") == "No experience"


def test_taxonomy_choices_give_ids_and_labels(taxonomy):
    assert taxonomy.choices("items")[0] == ("business_strategy", "ビジネス戦略策定・実行")
    assert taxonomy.choices() == taxonomy.choices("items", "ja")
    assert [v for v, _ in taxonomy.choices("levels")] == [0, 1, 2, 3, 4]
    assert [v for v, _ in taxonomy.choices("stages", "en")] == STAGES
    assert taxonomy.choices("talent_types", "en")[0] == ("X", "X type")
    assert [v for v, _ in taxonomy.choices("work_styles")] == ["remote", "hybrid", "onsite", "resident"]
    assert [v for v, _ in taxonomy.choices("fee_units")] == ["hour", "day", "month"]
    with pytest.raises(ValueError, match="unknown choice kind"):
        taxonomy.choices("planets")


def test_taxonomy_fields_and_enums(taxonomy):
    assert [f.id for f in taxonomy.fields.values() if f.priority] == [
        "disaster_prevention", "mobility", "local_industry", "health_care"]
    assert {f.id for f in taxonomy.fields.values() if not f.priority} == {
        "agriculture", "tourism", "education", "government_dx", "connectivity", "data_linkage", "welfare"}
    assert {name: tuple(labels) for name, labels in taxonomy.enums.items()} == dict(skill_taxonomy.ENUM_IDS)
    assert tuple(taxonomy.enums["schemes"]) == ("external_list", "adviser")


def test_taxonomy_skill_text_has_name_description_keywords(taxonomy):
    text = taxonomy.skill_text("backend_dev", "ja")
    assert "バックエンドシステム開発" in text and "データベース" in text and "API" in text
    english = taxonomy.skill_text("backend_dev", "en")
    assert "Back-end development" in english and "database" in english


def test_taxonomy_is_read_only_and_cached(taxonomy, tmp_path):
    assert skill_taxonomy.load() is taxonomy
    with pytest.raises(TypeError):
        taxonomy.items["x"] = None
    with pytest.raises(AttributeError):
        taxonomy.roles["data_engineer"].xd_hint = "X"
    shutil.copytree(skill_taxonomy.DATA_DIR, tmp_path / "data")
    fresh = skill_taxonomy.load(tmp_path / "data")
    assert fresh is not taxonomy and fresh.item_ids == taxonomy.item_ids


# --- broken files --------------------------------------------------------------------------


def _edit(data_dir: Path, name: str, change) -> None:
    path = data_dir / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _item(data: dict, item_id: str) -> dict:
    return next(item for cat in data["categories"] for sub in cat["subcategories"]
                for item in sub["items"] if item["id"] == item_id)


def _stage(data: dict, stage_id: str) -> dict:
    return next(stage for stage in data["stages"] if stage["id"] == stage_id)


def _rename_prior(data: dict) -> None:
    prior = _stage(data, "development")["prior"]
    prior["frontend_devx"] = prior.pop("frontend_dev")


BREAKAGES = {
    "duplicate item id": ("skills.yaml", lambda d: _item(d, "frontend_dev").update(id="backend_dev"),
                          "skills.yaml: backend_dev: duplicate id (first at software_development.items[5])"),
    "duplicate across subcategories": (
        "skills.yaml", lambda d: _item(d, "privacy").update(id="leadership"),
        "skills.yaml: leadership: duplicate id (first at security_management.items[3])"),
    "unknown item in a prior": ("stages.yaml", _rename_prior,
                                "stages.yaml: development.prior.frontend_devx: unknown skill item"),
    "weight 1.5": ("stages.yaml", lambda d: _stage(d, "operations")["prior"]["sre"].update(weight=1.5),
                   "stages.yaml: operations.prior.sre.weight: must be within [0, 1], got 1.5"),
    "weight as text": ("stages.yaml",
                       lambda d: _stage(d, "operations")["prior"]["cloud_infrastructure"].update(weight="high"),
                       "stages.yaml: operations.prior.cloud_infrastructure.weight: expected a number, got 'high'"),
    "missing key": ("roles.yaml", lambda d: d["roles"][4].pop("name_en"),
                    "roles.yaml: ux_ui_designer: missing key 'name_en'"),
    "unknown people type": ("roles.yaml", lambda d: d["roles"][0].update(type="architect"),
                            "roles.yaml: ba_new_business.type: unknown people type 'architect'"),
    "wrong type": ("fields.yaml", lambda d: d["fields"][0].update(priority="yes"),
                   "fields.yaml: disaster_prevention.priority: expected true or false, got 'yes'"),
    "bad leading type": ("stages.yaml", lambda d: _stage(d, "adoption").update(leading_type="XD"),
                         "stages.yaml: adoption.leading_type: expected X, D or null, got 'XD'"),
    "level 5": ("levels.yaml", lambda d: d["levels"][4].update(level=5),
                "levels.yaml: levels: expected levels [0, 1, 2, 3, 4] in this order, found [0, 1, 2, 3, 5]"),
    "48 items": ("skills.yaml", lambda d: d["categories"][4]["subcategories"][1]["items"].pop(),
                 "skills.yaml: items: expected 49 items, found 48"),
    "missing enum id": ("enums.yaml", lambda d: d["fee_units"].pop(),
                        "enums.yaml: fee_units: expected the ids hour, day, month, found hour, day"),
    "unknown key": ("literacy.yaml", lambda d: d["areas"][1].update(nmae_en="Why"),
                    "literacy.yaml: why: unknown key 'nmae_en'"),
}


@pytest.mark.parametrize("name, change, expected", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_load_refuses_broken_file(tmp_path, name, change, expected):
    data_dir = shutil.copytree(skill_taxonomy.DATA_DIR, tmp_path / "data")
    _edit(data_dir, name, change)
    with pytest.raises(TaxonomyError) as caught:
        skill_taxonomy.load(data_dir)
    assert expected in caught.value.problems
    assert expected in str(caught.value)


def test_load_refuses_bad_yaml_and_a_missing_file(tmp_path):
    data_dir = shutil.copytree(skill_taxonomy.DATA_DIR, tmp_path / "data")
    (data_dir / "fields.yaml").write_text("fields:\n- id: mobility\n  name_ja: [モビリティ\n", encoding="utf-8")
    (data_dir / "levels.yaml").unlink()
    with pytest.raises(TaxonomyError) as caught:
        skill_taxonomy.load(data_dir)
    missing, bad_yaml = caught.value.problems  # in the order the files are read
    assert bad_yaml.startswith("fields.yaml: line 4, column 1: invalid YAML")
    assert missing == f"levels.yaml: (file): not found in {data_dir}"


def test_load_refuses_a_key_given_twice(tmp_path):
    data_dir = shutil.copytree(skill_taxonomy.DATA_DIR, tmp_path / "data")
    text = (data_dir / "stages.yaml").read_text(encoding="utf-8")
    twice = "    sre:\n      weight: 0.1\n      reason_en: again\n      reason_ja: 再び\n    sre:\n"
    (data_dir / "stages.yaml").write_text(text.replace("    sre:\n", twice), encoding="utf-8")
    with pytest.raises(TaxonomyError) as caught:
        skill_taxonomy.load(data_dir)
    line = text[:text.index("    sre:\n")].count("\n") + 5
    assert caught.value.problems == (f"stages.yaml: line {line}, column 5: invalid YAML: duplicate key 'sre'",)


def test_taxonomy_error_pickles():
    error = TaxonomyError(Path("/data"), ["roles.yaml: x: missing key 'name_en'"])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems and str(copy) == str(error)


def test_load_reports_every_problem_together(tmp_path):
    data_dir = shutil.copytree(skill_taxonomy.DATA_DIR, tmp_path / "data")
    for name, change, _ in BREAKAGES.values():
        if name != "skills.yaml":  # a broken skills.yaml would also break the stages' references
            _edit(data_dir, name, change)
    with pytest.raises(TaxonomyError) as caught:
        skill_taxonomy.load(data_dir)
    expected = [problem for name, _, problem in BREAKAGES.values() if name != "skills.yaml"]
    assert sorted(caught.value.problems) == sorted(expected)
    assert str(caught.value).startswith(f"invalid taxonomy data in {data_dir} ({len(expected)} problem(s))")


def test_import_loads_neither_flask_nor_sqlalchemy():
    code = ("import sys, skill_taxonomy; skill_taxonomy.load(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_stage_asks_a_low_weight_security_baseline_with_its_reason(taxonomy):
    """Seed rule (domain_facts.md): both types need a baseline of security skill; weighted low."""
    for stage in taxonomy.stages.values():
        security = [p for item, p in stage.prior.items() if item.startswith("security_")]
        assert security, stage.id
        baseline = stage.prior.get("security_management")
        if baseline is not None:
            assert baseline.weight <= 0.3 and "domain_facts.md" in baseline.reason_en
    for stage_id in ("development", "operations"):
        assert "cloud_infrastructure" in taxonomy.stages[stage_id].prior
