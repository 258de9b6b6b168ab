"""WTForms (Flask-WTF) shared by the HTML views; labels are lazy so they follow the user's language."""
from __future__ import annotations

from flask import current_app
from flask_babel import get_locale, lazy_gettext as _l
from wtforms import SelectMultipleField, ValidationError, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange

import skill_taxonomy
from hub.limits import DATES, Range


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


def max_length(limit: int) -> Length:
    """The Length validator of a text limit declared in hub.limits."""
    return Length(max=limit)


def within(limits: Range) -> NumberRange:
    """The NumberRange validator of a range declared in hub.limits."""
    return NumberRange(min=limits.low, max=limits.high)


class DateWithin:
    """Refuse a date outside a range of hub.limits (by default DATES): a typo such as 0202-04-01."""

    def __init__(self, limits: Range = DATES):
        self.limits = limits

    def __call__(self, form, field) -> None:
        if field.data is not None and field.data not in self.limits:
            raise ValidationError(_l("Give a date between %(low)s and %(high)s.", low=self.limits.low.isoformat(),
                                     high=self.limits.high.isoformat()))
