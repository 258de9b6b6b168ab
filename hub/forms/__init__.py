"""WTForms (Flask-WTF) shared by the HTML views; labels are lazy so they follow the user's language."""
from __future__ import annotations

from flask import current_app
from flask_babel import get_locale
from wtforms import SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice

import skill_taxonomy


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (works without JavaScript, unlike a multiple select)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def taxonomy() -> skill_taxonomy.Taxonomy:
    return current_app.extensions["hub.taxonomy"]


def locale() -> str:
    return str(get_locale() or "ja")


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def choices(kind: str) -> list[SelectChoice]:
    """The options of a taxonomy vocabulary in the current language."""
    return options((str(value), label) for value, label in taxonomy().choices(kind, locale()))


def strip(value):
    return value.strip() if isinstance(value, str) else value
