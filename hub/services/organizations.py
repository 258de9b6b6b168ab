"""Organizations: local governments come from the gazetteer; other kinds are created by name."""
from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.gazetteer import Gazetteer, load_gazetteer
from hub.models import Organization
from hub.models.organizations import ORGANIZATION_KINDS

LOCAL_GOVERNMENT_KINDS = ("municipality", "prefecture")


class UnknownLocalGovernment(ValueError):
    """The code is not one of the gazetteer's local-government codes."""

    def __init__(self, lg_code: object):
        self.lg_code = lg_code
        super().__init__(f"unknown local-government code {lg_code!r}")


def _local_government(gazetteer: Gazetteer, lg_code: str) -> Organization:
    place = gazetteer.by_code(lg_code)
    if place is None:
        raise UnknownLocalGovernment(lg_code)
    return Organization(code=lg_code, kind="prefecture" if place.is_prefecture else "municipality",
                        name=place.full_name, lg_code=lg_code, prefecture_code=place.prefecture_code,
                        bureau_id=gazetteer.bureau_of(place.prefecture_code).id)


class LocalGovernments:
    """Resolve lg_codes to Organization rows, creating missing ones; one query per `preload`, not per code.

    Bulk imports preload every code of a file at once; single calls fall back to one query each.
    """

    def __init__(self, session: Session, gazetteer: Gazetteer | None = None):
        self.session = session
        self.gazetteer = gazetteer or load_gazetteer()
        self._by_code: dict[str, Organization] = {}
        self._checked: set[str] = set()  # codes looked up already: absent ones need no second query

    def preload(self, lg_codes: Iterable[str]) -> None:
        """Load the existing organizations of these codes in one query (chunked for huge sets)."""
        wanted = sorted(set(lg_codes) - self._checked)
        self._checked.update(wanted)
        for i in range(0, len(wanted), 1000):
            chunk = wanted[i:i + 1000]
            for org in self.session.scalars(select(Organization).where(Organization.lg_code.in_(chunk))):
                self._by_code[org.lg_code] = org

    def get(self, lg_code: str) -> Organization:
        """Return the organization of `lg_code`, creating it from the gazetteer when missing."""
        if (org := self._by_code.get(lg_code)) is not None:
            return org
        org = None
        if lg_code not in self._checked:
            org = self.session.scalars(select(Organization).where(Organization.lg_code == lg_code)).first()
        if org is None:
            org = _local_government(self.gazetteer, lg_code)
            self.session.add(org)
        self._by_code[lg_code] = org
        return org


def get_or_create_local_government(session: Session, lg_code: str,
                                   gazetteer: Gazetteer | None = None) -> Organization:
    """Return the municipality or prefecture with this code, adding it from the gazetteer when missing.

    Raise UnknownLocalGovernment for a code the gazetteer does not know.
    """
    org = LocalGovernments(session, gazetteer).get(lg_code)
    session.flush()
    return org


def create_organization(session: Session, kind: str, name: str, prefecture_code: str,
                        code: str | None = None, gazetteer: Gazetteer | None = None) -> Organization:
    """Add an NPO, university, chamber, business or bureau; its bureau is derived from the prefecture.

    Local governments are not created here (use get_or_create_local_government) so that their
    code, name and prefecture always agree with the gazetteer. `code` defaults to a random hub code.
    """
    if kind not in ORGANIZATION_KINDS or kind in LOCAL_GOVERNMENT_KINDS:
        raise ValueError(f"kind must be one of bureau, npo, university, chamber, business; got {kind!r}")
    gazetteer = gazetteer or load_gazetteer()
    try:
        bureau = gazetteer.bureau_of(prefecture_code)
    except KeyError:
        raise ValueError(f"unknown prefecture code {prefecture_code!r}") from None
    if not (isinstance(prefecture_code, str) and len(prefecture_code) == 2 and prefecture_code.isdigit()):
        raise ValueError(f"prefecture_code must be two digits, got {prefecture_code!r}")
    org = Organization(code=code or f"{kind[:3].upper()}-{prefecture_code}-{secrets.token_hex(4).upper()}",
                       kind=kind, name=name, lg_code=None, prefecture_code=prefecture_code,
                       bureau_id=bureau.id)
    session.add(org)
    session.flush()
    return org
