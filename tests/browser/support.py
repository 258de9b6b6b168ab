"""Helpers of the browser tests: what a page says in each language, and the language switch's URLs."""
from __future__ import annotations

import gettext
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]

with open(REPO / "hub" / "translations" / "ja" / "LC_MESSAGES" / "messages.mo", "rb") as _mo:
    _JA = gettext.GNUTranslations(_mo)


def t(msgid: str, lang: str = "ja", **values) -> str:
    """What the page says for `msgid` in `lang`; a Japanese text must really be translated."""
    text = msgid
    if lang == "ja":
        text = _JA.gettext(msgid)
        assert text != msgid, f"no Japanese translation for {msgid!r}"
    return text % values if values else text


def with_lang(url: str, lang: str) -> str:
    """The same page with ?lang= set (what the language switch links to)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"] + [("lang", lang)]
    return urlunsplit(parts._replace(query=urlencode(query)))
