"""WTForms' built-in messages ("This field is required.", "Not a valid integer value.", …) in our own catalog.

WTForms ships a Japanese catalog of its own, but it reads mechanically (「数値は 0 以上, 744 以下でなければ
いけません。」, 「無効な整数です。」). `init_app` makes every form of the hub (Flask-WTF, whoever wrote it) look its
built-in messages up in the hub's catalog instead, so hub/translations/parts/phone.po words them naturally and
`scripts/i18n.py --check` fails when WTForms adds one we have not translated. The msgids are listed below with
the markers Babel extracts (`N_`, and `ngettext` for the plural ones); the functions return their input.
"""
from __future__ import annotations

from flask import Flask, request
from flask_babel import get_translations


def N_(message: str) -> str:  # noqa: N802  (Babel's keyword for "extract, do not translate now")
    return message


def ngettext(singular: str, plural: str, n: int = 1) -> tuple[str, str]:
    """Only a marker for Babel's extractor (the name is one of its keywords); WTForms calls the real one."""
    return singular, plural


BUILT_IN = (
    N_("Field must be equal to %(other_name)s."),
    ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long."),
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."),
    ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Invalid IP address."),
    N_("Invalid Mac address."),
    N_("Invalid URL."),
    N_("Invalid UUID."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
    N_("Invalid Choice: could not coerce."),
    N_("Not a valid choice."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    ngettext("'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field."),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid week value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
)
# Left out on purpose: "Invalid field name '%s'." and "Choices cannot be None." are programming errors that
# WTForms raises as exceptions, never messages a user reads.


class HubCatalog:
    """The interface Flask-WTF expects of a request's WTForms translations, answered by the hub's catalog in
    the request's language (English falls through as WTForms wrote it)."""

    def ugettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


_CATALOG = HubCatalog()


def init_app(app: Flask) -> None:
    """Point Flask-WTF's per-request WTForms translations at the hub's catalog.

    Flask-WTF (flask_wtf/i18n.py) loads WTForms' own catalog once per request into
    `request.wtforms_translations` unless something is there already; tests/test_validator_messages.py
    fails if a Flask-WTF release stops reading it.
    """

    @app.before_request
    def _use_hub_catalog_for_wtforms() -> None:
        request.wtforms_translations = _CATALOG
