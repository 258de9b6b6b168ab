"""Generate the demo data set as interchange objects (DESIGN.md), seeded and reproducible.

Pure: no database, no Flask. `generate()` returns experts and needs in the interchange format plus the
extras that format cannot carry (status, listing, evaluation comments, per-skill ratings); `hub.demo.load`
feeds the objects through the import service and adds the rest.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from hub.demo import texts
from hub.demo.archetypes import ARCHETYPES, PERSONAL, Archetype
from hub.demo.names import FEMALE_GIVEN, MAIL_DOMAINS, MALE_GIVEN, REFUSED_NAMES, SURNAMES
from hub.gazetteer import Gazetteer, Place
from skill_taxonomy import Taxonomy

TODAY = date(2026, 12, 1)  # fixed, so that the same seed gives the same data on any day
TOKYO_AREA = ("13", "14", "11", "12")  # 東京・神奈川・埼玉・千葉
TOKYO_AREA_SHARE = 0.6
TOKYO_AREA_WEIGHTS = (0.5, 0.22, 0.14, 0.14)
SHIOJIRI = "202151"
DEMO_EXPERT_EMAIL = "expert@demo.example.jp"
STAGE_ORDER = ("awareness", "problem_identification", "business_model", "product_planning", "development",
               "operations", "ux_operations", "adoption")
FIELDS = ("disaster_prevention", "mobility", "local_industry", "health_care", "agriculture", "tourism",
          "education", "government_dx", "connectivity", "data_linkage", "welfare")
PRIORITY_FIELDS = FIELDS[:4]

# Rough population in millions, for spreading people and needs over the prefectures outside the Tokyo area.
PREFECTURE_WEIGHTS = {
    "01": 5.1, "02": 1.2, "03": 1.2, "04": 2.3, "05": 0.9, "06": 1.0, "07": 1.8, "08": 2.8, "09": 1.9, "10": 1.9,
    "15": 3.2, "16": 1.0, "17": 1.1, "18": 0.75, "19": 0.8, "20": 4.5, "21": 1.9, "22": 3.6, "23": 7.5, "24": 1.7,
    "25": 1.4, "26": 2.5, "27": 8.8, "28": 5.4, "29": 1.3, "30": 0.9, "31": 0.55, "32": 0.65, "33": 1.85,
    "34": 2.75, "35": 1.3, "36": 0.7, "37": 0.95, "38": 1.3, "39": 0.68, "40": 5.1, "41": 0.8, "42": 1.3,
    "43": 1.7, "44": 1.1, "45": 1.05, "46": 1.55, "47": 1.47,
}
KIND_WEIGHTS = {"designated_city": 8.0, "ward": 3.0, "city": 2.0, "town": 0.4, "village": 0.15}

NEED_TOPICS = {
    "government_dx": ("書かない窓口", "行政手続のオンライン化", "全庁DX推進計画", "窓口予約の仕組み", "自治体システム標準化"),
    "disaster_prevention": ("防災アプリ", "河川水位の遠隔監視", "避難所運営のデジタル化", "災害情報共有"),
    "mobility": ("AIオンデマンド交通", "地域公共交通の再編", "観光型MaaS", "自動運転バス"),
    "local_industry": ("地場産品のEC展開", "中小製造業のIoT活用", "商店街のキャッシュレス化", "事業者DX相談窓口"),
    "health_care": ("介護記録のICT化", "健康ポイントアプリ", "オンライン診療", "在宅医療・介護の情報共有"),
    "agriculture": ("スマート農業", "鳥獣害対策のIoT化", "農産物直売所のデータ活用", "水産業の情報共有"),
    "tourism": ("観光人流データの活用", "デジタル観光周遊", "多言語観光案内", "観光DMOのデータ基盤"),
    "education": ("GIGAスクール端末の活用", "校務DX", "プログラミング教育"),
    "connectivity": ("ローカル5G", "公共Wi-Fi", "光ファイバー網の更新"),
    "data_linkage": ("オープンデータ", "データ連携基盤", "EBPM推進"),
    "welfare": ("子育て支援アプリ", "保育所入所選考の効率化", "高齢者見守り", "福祉手続のオンライン化"),
}
FIELD_SKILLS = {  # a skill a need of this field often asks for besides the stage's own
    "disaster_prevention": "incident_response_bcp", "mobility": "data_understanding",
    "local_industry": "marketing", "health_care": "privacy", "agriculture": "physical_computing",
    "tourism": "marketing", "education": "change_management", "government_dx": "business_analysis",
    "connectivity": "enterprise_architecture", "data_linkage": "data_platform_design", "welfare": "user_understanding",
}
ACTIVE_NOTES = ("進行中。月次の定例で進捗を共有しながら進めている。", "進行中。今年度内の本格運用開始を目指している。",
                "進行中。職員との週次ミーティングで課題を洗い出している。", "進行中。来年度予算要求に向けて効果検証を進めている。")


@dataclass
class DemoSet:
    """The generated objects: interchange dicts plus what only the demo loader can set."""

    experts: list[dict]
    needs: list[dict]
    expert_status: dict[str, tuple[str, bool]] = field(default_factory=dict)  # id -> (status, listed)
    # (expert id, org lg_code, start, title) -> comment / {skill: rating}
    comments: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    skill_ratings: dict[tuple[str, str, str, str], dict[str, int]] = field(default_factory=dict)
    demo_expert_id: str = "T0001"


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _month(year: int, month: int) -> date:
    while month > 12:
        year, month = year + 1, month - 12
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _month_end(day: date) -> date:
    following = _month(day.year, day.month + 1)
    return date.fromordinal(following.toordinal() - 1)


class _Places:
    """Pick real municipalities from the gazetteer, larger places more often."""

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self._by_pref: dict[str, tuple[list[Place], list[float]]] = {}
        for pref in gazetteer.prefectures():
            places = gazetteer.municipalities(pref.prefecture_code)
            self._by_pref[pref.prefecture_code] = (places, [KIND_WEIGHTS.get(p.kind, 1.0) for p in places])

    def municipality(self, rng: random.Random, prefecture_code: str, *, small_towns: float = 1.0) -> Place:
        places, weights = self._by_pref[prefecture_code]
        if small_towns != 1.0:
            weights = [w * small_towns if p.kind in ("town", "village") else w for p, w in zip(places, weights)]
        return rng.choices(places, weights=weights)[0]

    def prefecture(self, code: str) -> Place:
        return self.gazetteer.get(self.gazetteer.prefectures()[int(code) - 1].lg_code)

    def bureau_prefectures(self) -> dict[str, tuple[str, ...]]:
        return {b.id: b.prefecture_codes for b in self.gazetteer.bureaus.values()}


def _home_prefectures(rng: random.Random, n: int, places: _Places) -> list[str]:
    """About 60 % in the Tokyo area; at least one in every bureau; the rest by population."""
    tokyo = round(n * TOKYO_AREA_SHARE)
    homes = rng.choices(TOKYO_AREA, weights=TOKYO_AREA_WEIGHTS, k=tokyo)
    rest = n - tokyo
    outside = {code: w for code, w in PREFECTURE_WEIGHTS.items()}
    per_bureau = 2 if rest >= 44 else 1
    for prefs in places.bureau_prefectures().values():
        candidates = {p: outside[p] for p in prefs if p in outside}
        for _ in range(per_bureau):
            if len(homes) < n:
                homes.append(_weighted(rng, candidates))
    while len(homes) < n:
        homes.append(_weighted(rng, outside))
    rng.shuffle(homes)
    return homes


# --- experts --------------------------------------------------------------------------------------

class _ExpertMaker:
    def __init__(self, rng: random.Random, taxonomy: Taxonomy, places: _Places):
        self.rng = rng
        self.taxonomy = taxonomy
        self.places = places
        self.names: set[str] = set()
        self.emails: set[str] = set()
        self.bios: set[str] = set()
        self.used_titles: set[str] = set()  # project titles of the expert being made

    def name(self) -> tuple[str, str]:
        rng = self.rng
        while True:
            surname = rng.choice(SURNAMES)
            given = rng.choice(FEMALE_GIVEN if rng.random() < 0.36 else MALE_GIVEN)
            full = f"{surname[0]} {given[0]}"
            if full not in self.names and full not in REFUSED_NAMES:
                self.names.add(full)
                return full, f"{given[1]}.{surname[1]}"

    def email(self, local: str) -> str:
        rng = self.rng
        domain = rng.choice(MAIL_DOMAINS)
        candidate = f"{local}@{domain}"
        number = 2
        while candidate in self.emails:
            candidate = f"{local}{number}@{domain}"
            number += 1
        self.emails.add(candidate)
        return candidate

    def skills(self, a: Archetype, talent_type: str, seniority: float) -> dict[str, int]:
        rng = self.rng
        levels: dict[str, int] = {}
        for item, (low, high) in a.core.items():
            level = rng.randint(low, high)
            if seniority < 0.25 and level > 1:
                level -= 1
            levels[item] = level
        for item in rng.sample(a.extra, k=min(len(a.extra), rng.randint(1, 3))):
            levels.setdefault(item, rng.randint(1, 3))
        for item in PERSONAL:
            if rng.random() < 0.65:
                low = 2 if "X" in talent_type and talent_type != "D" else 1
                levels.setdefault(item, rng.randint(low, 4 if seniority > 0.5 else 3))
        if "security_management" not in levels and rng.random() < 0.7:
            levels["security_management"] = rng.randint(1, 2)  # the baseline every type needs
        if "cloud_infrastructure" not in levels and rng.random() < 0.45:
            levels["cloud_infrastructure"] = rng.randint(1, 2)
        if talent_type == "XD":
            for item in ("web_basics", "data_understanding", "project_management", "business_analysis"):
                if item not in levels and rng.random() < 0.5:
                    levels[item] = rng.randint(1, 3)
        return {item: levels[item] for item in self.taxonomy.item_ids if item in levels}

    def fields(self, a: Archetype) -> list[str]:
        weights = {f: a.fields.get(f, 1.0) for f in FIELDS}
        chosen: list[str] = []
        for _ in range(self.rng.choices((1, 2, 3, 4), weights=(3, 4, 3, 1))[0]):
            pick = _weighted(self.rng, {f: w for f, w in weights.items() if f not in chosen})
            chosen.append(pick)
        return chosen

    def stages(self, a: Archetype) -> list[str]:
        led = [s for s in STAGE_ORDER if s in a.stages and self.rng.random() < a.stages[s]]
        if not led:
            led = [max(a.stages, key=a.stages.get)]
        return led

    def work(self, a: Archetype) -> dict:
        rng = self.rng
        pattern = _weighted(rng, {"remote_only": 42, "remote_onsite": 40, "resident": 8, "onsite_only": 6}
                            if a.id != "community_facilitator" else
                            {"remote_only": 10, "remote_onsite": 40, "resident": 30, "onsite_only": 20})
        styles = {"remote": pattern != "onsite_only", "onsite": pattern != "remote_only",
                  "resident": pattern == "resident"}
        km = None
        prefectures: list[str] = []
        if styles["onsite"]:
            km = rng.choice((30, 50, 100, 100, 150, 200, 300, 500, 1000, None))
            if km is None or rng.random() < 0.25:
                prefectures = sorted(rng.sample(sorted(PREFECTURE_WEIGHTS), k=rng.randint(1, 3)))
        return {"styles": styles, "pattern": pattern, "km": km, "prefectures": prefectures}

    def hours(self, pattern: str) -> int:
        rng = self.rng
        if pattern == "resident" and rng.random() < 0.6 or rng.random() < 0.04:
            return 160
        return rng.choices((8, 10, 16, 20, 24, 30, 40, 60, 80), weights=(8, 10, 14, 18, 8, 10, 14, 6, 4))[0]

    def fee(self, a: Archetype, hours: int, seniority: float) -> dict | None:
        rng = self.rng
        if rng.random() < 0.15:
            return None
        unit = "month" if hours >= 120 else rng.choices(("hour", "day", "month"), weights=(55, 25, 20))[0]
        if unit == "hour":
            amount = round((4000 + 14000 * seniority + rng.uniform(-1500, 2500)) / 500) * 500
        elif unit == "day":
            amount = round((35000 + 100000 * seniority + rng.uniform(-5000, 15000)) / 5000) * 5000
        else:
            base = 550000 if hours >= 120 else 12000 * hours
            amount = round(base * (0.8 + 0.7 * seniority) / 10000) * 10000
        return {"unit": unit, "amount": int(max(amount, 3000)), "negotiable": rng.random() < 0.8}

    def availability(self) -> tuple[str, str | None]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.55:
            start = _month(2024, 4 + rng.randint(0, 30))
        elif roll < 0.9:
            start = _month(2026, 12 + rng.randint(0, 6))
        else:
            start = _month(2027, 7 + rng.randint(0, 9))
        until = None
        if rng.random() < 0.3:
            until = date(max(start.year + 1, rng.choice((2027, 2028, 2029))), 3, 31)
        return start.isoformat(), until.isoformat() if until else None

    def engagement(self, expert_id: str, a: Archetype, fields: list[str], stages: list[str], home: Place,
                   end: date, *, active: bool, persona: str, hours: int, demo: DemoSet) -> dict:
        rng = self.rng
        field_id = rng.choice(fields)
        projects = [p for p in texts.PROJECTS[field_id] if p[0] not in self.used_titles] or texts.PROJECTS[field_id]
        title, contributions = rng.choice(projects)
        self.used_titles.add(title)
        stage_ids = [rng.choice(stages)]
        if rng.random() < 0.3:
            neighbour = STAGE_ORDER[min(STAGE_ORDER.index(stage_ids[0]) + 1, len(STAGE_ORDER) - 1)]
            stage_ids = list(dict.fromkeys(stage_ids + [neighbour]))
        if rng.random() < 0.6:
            bureau = self.places.gazetteer.bureau_of(home.prefecture_code)
            pref = rng.choice(bureau.prefecture_codes)
        else:
            pref = _weighted(rng, PREFECTURE_WEIGHTS)
        if rng.random() < 0.15:
            org = self.places.prefecture(pref)
        else:
            org = self.places.municipality(rng, pref, small_towns=2.5)
        action = rng.choice(texts.STAGE_ACTIONS[stage_ids[0]]).format(project=title)
        role = f"{persona}として{action}"
        numbers = {"pct": rng.randint(2, 5), "n": rng.randint(2, 9), "m": rng.randint(3, 40),
                   "man": rng.randint(2, 30)}
        if active:
            start = _month(2025, 4 + rng.randint(0, 18))
            item = {"org_lg_code": org.lg_code, "title": title, "stages": stage_ids, "fields": [field_id],
                    "role": role, "contribution": rng.choice(ACTIVE_NOTES), "start": start.isoformat(),
                    "end": rng.choice((None, "2027-03-31", "2028-03-31")), "hours_per_month": hours,
                    "status": "active", "rating": None, "would_rehire": None}
            return item
        months = rng.choice((6, 6, 12, 12, 12, 18, 24, 36))
        start = _month(end.year, end.month - months + 1)
        contribution = "".join(c.format(**numbers) for c in rng.sample(contributions, k=rng.randint(1, 2)))
        roll = rng.random()
        if roll < 0.1:
            rating, rehire = None, None  # the organization never evaluated it
        else:
            if roll < 0.8 or persona == "CIO補佐官" and expert_id == "T0001":
                rating = rng.choice((4.0, 4.0, 4.5, 4.5, 5.0, 3.5) if expert_id != "T0001" else (4.0, 4.5, 5.0))
            elif roll < 0.94:
                rating = rng.choice((3.0, 3.5))
            else:
                rating = rng.choice((1.5, 2.0, 2.5))
            rehire = (rng.random() < 0.95 if rating >= 4 else rng.random() < 0.5 if rating >= 3 else False)
        item = {"org_lg_code": org.lg_code, "title": title, "stages": stage_ids, "fields": [field_id],
                "role": role, "contribution": contribution, "start": start.isoformat(),
                "end": _month_end(end).isoformat(), "hours_per_month": rng.choice((8, 10, 16, 20, 24, 30, 40)),
                "status": "completed", "rating": rating, "would_rehire": rehire}
        if rating is not None:
            key = (expert_id, org.lg_code, item["start"], title)
            if rng.random() < 0.6:
                band = "high" if rating >= 4 else "mid" if rating >= 3 else "low"
                demo.comments[key] = rng.choice(texts.EVALUATION_COMMENTS[band])
            if rng.random() < 0.45:
                rated = rng.sample(sorted(a.core), k=min(len(a.core), rng.randint(1, 3)))
                demo.skill_ratings[key] = {s: max(1, min(5, round(rating + rng.gauss(0, 0.7)))) for s in rated}
        return item

    def bio(self, a: Archetype, fields: list[str], home: Place, engagements: list[dict], pattern: str,
            years: int) -> str:
        rng = self.rng
        gazetteer = self.places.gazetteer
        for _attempt in range(20):
            parts = [rng.choice(a.careers).format(years=years, employer=rng.choice(a.employers))]
            place = gazetteer.get(rng.choice(engagements)["org_lg_code"]) if engagements else home
            regional = rng.choice(texts.REGIONAL).format(place=place.full_name, pref=home.prefecture,
                                                         n=rng.randint(2, 8))
            if regional:
                parts.append(regional)
            for f in fields[:rng.randint(1, 2)]:
                parts.append(rng.choice(texts.FIELD_SENTENCES[f]))
            parts.append(rng.choice(texts.ASPIRATIONS))
            style_key = {"remote_only": "remote_only", "resident": "resident"}.get(pattern, "onsite")
            parts.append(rng.choice(texts.WORK_STYLE_SENTENCES[style_key]))
            if (extra := rng.choice(texts.EXTRAS)):
                parts.append(extra)
            bio = "".join(parts)
            if bio not in self.bios:
                self.bios.add(bio)
                return bio
        raise RuntimeError("could not write a unique bio")  # pragma: no cover

    def make(self, index: int, home_pref: str, demo: DemoSet, *, rich: bool = False) -> dict:
        rng = self.rng
        expert_id = f"T{index:04d}"
        a = ARCHETYPES[0] if rich else rng.choices(ARCHETYPES, weights=[x.weight for x in ARCHETYPES])[0]
        name, local = self.name()
        talent_type = "XD" if rich else _weighted(rng, a.types)
        seniority = 0.8 if rich else rng.random()
        years = 5 + round(seniority * 22)
        home = self.places.municipality(rng, home_pref)
        work = self.work(a)
        if rich:
            work = {"styles": {"remote": True, "onsite": True, "resident": False}, "pattern": "remote_onsite",
                    "km": 300, "prefectures": ["15", "20"]}
        hours = 40 if rich else self.hours(work["pattern"])
        fields = ["mobility", "government_dx", "disaster_prevention"] if rich else self.fields(a)
        stages = (["awareness", "problem_identification", "business_model", "product_planning"] if rich
                  else self.stages(a))
        schemes = []
        adviser_p = 0.55 if "X" in talent_type else 0.3
        if rich or rng.random() < adviser_p:
            schemes.append("adviser")
        if rich or rng.random() < (0.25 if a.id in ("cio_adviser", "project_manager", "service_designer") else 0.07):
            schemes.append("external_list")
        persona = a.title_ja
        self.used_titles = set()
        count = 4 if rich else rng.choices((0, 1, 2, 3, 4, 5), weights=(15, 20, 25, 20, 12, 8))[0]
        if "adviser" in schemes and count < 5 and rng.random() < 0.4:
            count += 1
        engagements = []
        end = _month(2026, rng.randint(1, 10))
        for _ in range(count):
            as_adviser = "adviser" in schemes and rng.random() < 0.3
            engagements.append(self.engagement(expert_id, a, fields, stages, home, end, active=False,
                                               persona="地域情報化アドバイザー" if as_adviser else persona,
                                               hours=0, demo=demo))
            start = date.fromisoformat(engagements[-1]["start"])
            end = _month(start.year, start.month - rng.randint(1, 14))
        roll = rng.random()
        if rich:
            engagements.append(self.engagement(expert_id, a, ["mobility"], ["problem_identification"], home, TODAY,
                                               active=True, persona=persona, hours=16, demo=demo))
        elif roll < 0.25:
            used = hours if roll < 0.08 else max(4, round(hours * rng.uniform(0.3, 0.7)))
            engagements.append(self.engagement(expert_id, a, fields, stages, home, TODAY, active=True,
                                               persona=persona, hours=used, demo=demo))
        engagements.sort(key=lambda e: e["start"])
        available_from, available_until = ("2026-04-01", None) if rich else self.availability()
        obj = {
            "external_id": expert_id, "name": name,
            "email": DEMO_EXPERT_EMAIL if rich else (None if rng.random() < 0.04 else self.email(local)),
            "talent_type": talent_type, "roles": list(rng.choice(a.roles)),
            "skills": self.skills(a, talent_type, seniority),
            "bio": self.bio(a, fields, home, engagements, work["pattern"], years),
            "fields": fields, "stages_led": stages, "home_lg_code": home.lg_code,
            "work_styles": work["styles"], "max_travel_km": work["km"], "travel_prefectures": work["prefectures"],
            "hours_per_month": hours, "available_from": available_from, "available_until": available_until,
            "fee": ({"unit": "hour", "amount": 12000, "negotiable": True} if rich
                    else self.fee(a, hours, seniority)),
            "schemes": schemes, "engagements": engagements,
        }
        if not rich:
            status = rng.choices(("active", "paused", "retired"), weights=(93, 6, 1))[0]
            demo.expert_status[expert_id] = (status, rng.random() > 0.04)
        return obj


# --- needs ----------------------------------------------------------------------------------------

class _NeedMaker:
    def __init__(self, rng: random.Random, taxonomy: Taxonomy, places: _Places):
        self.rng = rng
        self.taxonomy = taxonomy
        self.places = places
        self.titles: set[str] = set()

    def organization(self, index: int, bureau_quota: list[str]) -> Place:
        rng = self.rng
        if index < 5:
            return self.places.gazetteer.get(SHIOJIRI)
        if bureau_quota:
            pref = _weighted(rng, {p: PREFECTURE_WEIGHTS.get(p, 3.0)
                                   for p in self.places.gazetteer.bureaus[bureau_quota.pop()].prefecture_codes})
        else:
            pref = _weighted(rng, {**PREFECTURE_WEIGHTS, "13": 4.0, "14": 3.0, "11": 2.5, "12": 2.5})
        if rng.random() < 0.12:
            return self.places.prefecture(pref)
        return self.places.municipality(rng, pref, small_towns=3.0)

    def skills(self, stages: list[str], field_id: str) -> tuple[dict, dict]:
        rng = self.rng
        prior = self.taxonomy.stage_prior(stages)
        top = sorted(prior, key=lambda item: (-prior[item], item))[:6]
        required = {}
        for item in rng.sample(top, k=min(len(top), rng.randint(2, 4))):
            required[item] = 3 if prior[item] >= 0.8 and rng.random() < 0.6 else 2
        extra = FIELD_SKILLS[field_id]
        nice = {}
        if extra not in required:
            if rng.random() < 0.5:
                required[extra] = 2
            else:
                nice[extra] = rng.randint(1, 2)
        if rng.random() < 0.4 and "security_management" not in required:
            nice["security_management"] = 1
        return required, nice

    def make(self, index: int, stage: str, field_id: str, bureau_quota: list[str]) -> dict:
        rng = self.rng
        org = self.organization(index, bureau_quota)
        stages = [stage]
        if rng.random() < 0.25 and stage != "adoption":
            stages.append(STAGE_ORDER[STAGE_ORDER.index(stage) + 1])
        fields = [field_id]
        if rng.random() < 0.3:
            fields.append(rng.choice([f for f in FIELDS if f != field_id]))
        for _attempt in range(30):
            topic = rng.choice(NEED_TOPICS[field_id])
            title = rng.choice(texts.NEED_TITLES[stage]).format(topic=topic)
            if title not in self.titles:
                break
            title = f"{title}（{org.name}）"
            if title not in self.titles:
                break
        self.titles.add(title)
        # Work style follows where the stage's work happens.
        if "ux_operations" in stages:
            work_style = rng.choice(("resident", "resident", "onsite"))
        elif stage in ("awareness", "problem_identification", "adoption"):
            work_style = rng.choice(("hybrid", "hybrid", "onsite", "remote"))
        else:
            work_style = rng.choice(("remote", "remote", "hybrid", "hybrid", "onsite"))
        if work_style == "resident":
            form = rng.choice(("appointment", "appointment", "contract"))
            hours = rng.choice((120, 140, 160))
        elif stage == "awareness" and rng.random() < 0.6:
            form, hours = "adviser_dispatch", rng.choice((4, 6, 8, 10))
        else:
            form = rng.choices(("contract", "side_job", "appointment", "adviser_dispatch"), weights=(45, 25, 20, 10))[0]
            hours = rng.choice((8, 10, 16, 20, 20, 24, 30, 40))
        status = "open"
        roll = rng.random()
        if index in (3, 4):  # Shiojiri: one draft, one filled
            status = ("draft", "filled")[index - 3]
        elif index >= 5:
            status = "draft" if roll < 0.1 else "filled" if roll < 0.18 else "closed" if roll < 0.25 else "open"
        if status in ("filled", "closed"):
            start = _month(2026, rng.randint(4, 10))
        else:
            start = _month(2026, 12 + rng.randint(0, 12))
        end = None if rng.random() < 0.1 else _month_end(_month(start.year, start.month + rng.choice((5, 11, 17, 23))))
        if end is not None and end.year > 2028:
            end = date(2028, 12, 31)
        if form == "adviser_dispatch":
            budget = None  # the ministry pays; nothing for the requester to budget
        elif rng.random() < 0.15:
            budget = None
        elif hours >= 120:
            budget = {"unit": "month", "max": rng.choice((450000, 550000, 600000, 700000, 800000))}
        elif rng.random() < 0.7:
            budget = {"unit": "hour", "max": rng.choice((5000, 6000, 8000, 10000, 12000, 15000))}
        else:
            budget = {"unit": "month", "max": rng.choice((100000, 150000, 200000, 300000, 400000))}
        place_name = org.full_name
        background = rng.choice(texts.NEED_BACKGROUNDS[field_id]).format(place=place_name, n=rng.randint(3, 4))
        roles = "".join(texts.NEED_ROLES[s][0] for s in stages)
        period = f"{start.year}年{start.month}月から" + (f"{end.year}年{end.month}月まで" if end else "（期間は相談）")
        description = (f"【背景】{background}\n【課題】{rng.choice(texts.NEED_ISSUES)}\n【期待する役割】{roles}\n"
                       f"【条件】{texts.NEED_CONDITIONS[work_style]}月{hours}時間程度、{period}。")
        if form == "adviser_dispatch":
            description += texts.DISPATCH_CONDITION
        if rng.random() < 1 / 3:
            required, nice = {}, {}  # described in words only: the matcher infers the skills
        else:
            required, nice = self.skills(stages, field_id)
        obj = {"external_id": f"N{index + 1:03d}", "org_lg_code": org.lg_code, "title": title,
               "description": description, "stages": stages, "talent_type": self.taxonomy.leading_type(stages),
               "required_skills": required, "fields": fields, "work_style": work_style,
               "hours_per_month": hours, "start": start.isoformat(), "end": end.isoformat() if end else None,
               "budget": budget, "engagement_form": form, "status": status}
        if nice:
            obj["nice_to_have_skills"] = nice
        return obj


# --- the whole set --------------------------------------------------------------------------------

def generate(seed: int, n_experts: int, n_needs: int, taxonomy: Taxonomy, gazetteer: Gazetteer) -> DemoSet:
    """Return the demo set for `seed`: the same seed and sizes give the same objects, on any machine and day."""
    places = _Places(gazetteer)
    demo = DemoSet(experts=[], needs=[])
    rng = random.Random(f"{seed}:experts")
    makers = _ExpertMaker(rng, taxonomy, places)
    homes = _home_prefectures(rng, n_experts, places)
    if n_experts:
        homes[0] = "13"  # the demo login's profile lives in Tokyo
    for i, pref in enumerate(homes, start=1):
        demo.experts.append(makers.make(i, pref, demo, rich=(i == 1)))
    rng = random.Random(f"{seed}:needs")
    maker = _NeedMaker(rng, taxonomy, places)
    stages = _cover(rng, STAGE_ORDER, n_needs, {"problem_identification": 3, "product_planning": 3,
                                                "development": 2.5, "awareness": 3, "business_model": 1.5,
                                                "operations": 1.5, "ux_operations": 1.5, "adoption": 1.2})
    fields = _cover(rng, FIELDS, n_needs, {f: (2.0 if f in PRIORITY_FIELDS else 1.0) for f in FIELDS})
    # Shiojiri's own needs come first (indexes 0-4): mobility and municipal DX, as in the published case.
    for i, (stage, field_id) in enumerate((("problem_identification", "mobility"), ("product_planning", "mobility"),
                                           ("business_model", "government_dx"), ("development", "mobility"),
                                           ("ux_operations", "government_dx"))[:n_needs]):
        stages[i], fields[i] = stage, field_id
    bureau_quota = sorted(gazetteer.bureaus) if n_needs >= 5 + len(gazetteer.bureaus) else []
    rng.shuffle(bureau_quota)
    for i in range(n_needs):
        demo.needs.append(maker.make(i, stages[i], fields[i], bureau_quota))
    demo.needs.extend(team_and_shared_needs(n_needs))
    return demo


def team_and_shared_needs(n_needs: int) -> list[dict]:
    """Two fixed needs after the drawn ones: 塩尻市 asks for a team of three roles, and the small towns and
    villages of 木曽 post one appointment jointly (共同任用), with 塩尻市 (its 楢川 district was a 木曽 village) as a
    co-organization, so that the demo's 塩尻市 login sees it from a co-organization's side."""
    team = {
        "external_id": f"N{n_needs + 1:03d}", "org_lg_code": "202151",
        "title": "子育て支援アプリの企画・開発チーム",
        "description": ("【背景】塩尻市では子育て世帯の手続きや相談が窓口と紙に分かれ、情報が届きにくい。\n"
                        "【課題】利用者調査から要件を固め、予約・通知の仕組みを作り、庁内の運用まで回したい。\n"
                        "【期待する役割】プロジェクトの推進と庁内調整、利用者調査とサービス設計、バックエンド開発を"
                        "分担するチーム。\n【条件】ハイブリッド（月1回程度の来庁）、チーム全体で月70時間程度、"
                        "2027年4月から2028年3月まで。"),
        "stages": ["product_planning", "development"], "talent_type": "XD",
        "required_skills": {"project_management": 3, "user_understanding": 3, "value_discovery": 2,
                            "backend_dev": 3, "cloud_infrastructure": 2},
        "nice_to_have_skills": {"security_management": 1},
        "fields": ["welfare", "government_dx"], "work_style": "hybrid", "hours_per_month": 70,
        "start": "2027-04-01", "end": "2028-03-31", "budget": {"unit": "hour", "max": 9000},
        "engagement_form": "contract", "status": "open",
        "team_roles": {"ba_internal_operations": 20, "service_designer": 20, "backend_engineer": 30},
    }
    shared = {
        "external_id": f"N{n_needs + 2:03d}", "org_lg_code": "204323",
        "title": "木曽地域の町村によるDX推進員の共同任用",
        "description": ("【背景】木曽地域の町村は、どこも単独ではデジタル人材を雇えない規模にある。\n"
                        "【課題】窓口のオンライン化と庁内業務の見直しを、町村ごとではなく地域でまとめて進めたい。\n"
                        "【期待する役割】各町村の業務を聞き取り、共通の進め方を作り、職員とともに実装まで伴走する。\n"
                        "【条件】各町村の役場に通いながらのハイブリッド勤務、合わせて月60時間程度、"
                        "2027年4月から2029年3月まで。"),
        "stages": ["problem_identification", "product_planning"], "talent_type": None,
        "required_skills": {"business_analysis": 2, "change_management": 2, "project_management": 2},
        "fields": ["government_dx"], "work_style": "hybrid", "hours_per_month": 60,
        "start": "2027-04-01", "end": "2029-03-31", "budget": {"unit": "month", "max": 480000},
        "engagement_form": "appointment", "status": "open",
        "co_organizations": [
            {"org_lg_code": code, "hours_per_month": hours, "budget_max": budget, "location_lg_code": None}
            for code, hours, budget in (("204226", 8, 64000), ("204234", 8, 64000), ("204251", 8, 64000),
                                        ("204293", 4, 32000), ("204307", 8, 64000), ("202151", 8, 64000))],
    }
    return [team, shared]


def _cover(rng: random.Random, ids: Sequence[str], n: int, weights: dict[str, float]) -> list[str]:
    """Return n ids in which every id appears (when n allows), the rest drawn by weight, shuffled.

    The first five places are then overwritten by Shiojiri's needs, so every id is placed after them.
    """
    head = [_weighted(rng, weights) for _ in range(min(5, n))]
    tail = list(ids)[: max(0, n - 5)]
    tail += [_weighted(rng, weights) for _ in range(n - 5 - len(tail))]
    rng.shuffle(tail)
    return head + tail
