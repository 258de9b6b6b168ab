"""Build the Japanese catalog: extract every UI string, take translations from hub/translations/parts/*.po.

Source strings are English; each area of the UI keeps its Japanese translations in its own part file, so
several people can add strings at once. This script merges the parts into
hub/translations/ja/LC_MESSAGES/messages.po and compiles messages.mo (both committed, so a fresh clone
needs no build step).

    python scripts/i18n.py          # rebuild the catalog, list strings that still lack a translation
    python scripts/i18n.py --check  # exit 1 if any string lacks a translation or the .mo is stale
"""
from __future__ import annotations

import argparse
import io
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "hub"
PARTS = HUB / "translations" / "parts"
TARGET = HUB / "translations" / "ja" / "LC_MESSAGES"
METHOD_MAP = [("translations/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = DEFAULT_KEYWORDS | {"_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def extract() -> dict[str | tuple[str, ...], list[tuple[str, int]]]:
    """Return every translatable message with where it is used."""
    messages: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(HUB), method_map=METHOD_MAP, keywords=KEYWORDS,
            options_map={"**/templates/**.html": {"trimmed": "true"}}):
        messages.setdefault(message, []).append((filename, lineno))
    return messages


def translations() -> dict:
    """Merge the part files; a message translated in two parts must agree."""
    merged: dict = {}
    for part in sorted(PARTS.glob("*.po")):
        with part.open("rb") as f:
            for message in read_po(f, locale="ja"):
                if not message.id or not message.string:
                    continue
                if message.id in merged and merged[message.id] != message.string:
                    print(f"{part.name}: {message.id!r} translated differently elsewhere", file=sys.stderr)
                merged.setdefault(message.id, message.string)
    return merged


def build() -> tuple[Catalog, list]:
    known = translations()
    # Fixed dates keep the output identical for identical input, so --check can compare bytes.
    fixed = datetime(2026, 1, 1, tzinfo=timezone.utc)
    catalog = Catalog(locale="ja", project="DX Talent Hub", fuzzy=False, creation_date=fixed,
                      revision_date=fixed)
    missing = []
    for message, locations in sorted(extract().items(), key=lambda kv: str(kv[0])):
        string = known.get(message)
        if string is None:
            missing.append((message, locations[0]))
        catalog.add(message, string=string, locations=locations)
    return catalog, missing


def _render(catalog: Catalog) -> tuple[bytes, bytes]:
    po, mo = io.BytesIO(), io.BytesIO()
    write_po(po, catalog, omit_header=False, no_location=True, sort_output=True)
    write_mo(mo, catalog)
    return po.getvalue(), mo.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    catalog, missing = build()
    for message, (filename, lineno) in missing:
        print(f"untranslated: {message!r} ({filename}:{lineno})", file=sys.stderr)
    po, mo = _render(catalog)
    if args.check:
        stale = not (TARGET / "messages.mo").exists() or (TARGET / "messages.mo").read_bytes() != mo
        if stale:
            print("messages.mo is stale: run python scripts/i18n.py", file=sys.stderr)
        return 1 if (missing or stale) else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    (TARGET / "messages.po").write_bytes(po)
    (TARGET / "messages.mo").write_bytes(mo)
    print(f"{len(catalog)} messages, {len(missing)} untranslated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
