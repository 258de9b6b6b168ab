"""The staff search over listed experts (a GET form: no CSRF token, the query stays in the URL)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Optional

from wtforms.fields.choices import SelectChoice

from hub import limits
from hub.forms import choices, locale, max_length, options, strip, taxonomy, within
from hub.forms.experts import prefecture_choices
from hub.services.search import Criteria

SKILL_ROWS = 3


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Words"), validators=[Optional(), max_length(limits.SEARCH_WORDS)], filters=[strip],
                    description=_l("Searches names, profiles and past engagements; every word must appear."))
    prefecture = SelectField(_l("Home prefecture"), validators=[Optional()])
    min_hours = IntegerField(_l("Remaining hours per month, at least"),
                             validators=[Optional(), within(limits.HOURS_PER_MONTH)])
    talent_type = SelectField(_l("Talent type"), validators=[Optional()])
    work_style = SelectField(_l("Can work"), validators=[Optional()])
    scheme = SelectField(_l("Scheme"), validators=[Optional()])
    sort = SelectField(_l("Order"), validators=[Optional()], choices=options([
        ("updated", _l("Recently updated")), ("hours", _l("Most remaining hours")), ("name", _l("Name"))]))

    skill_1 = SelectField(_l("Skill"), validators=[Optional()])
    level_1 = SelectField(_l("at least level"), validators=[Optional()])
    skill_2 = SelectField(_l("Skill"), validators=[Optional()])
    level_2 = SelectField(_l("at least level"), validators=[Optional()])
    skill_3 = SelectField(_l("Skill"), validators=[Optional()])
    level_3 = SelectField(_l("at least level"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("meta", {"csrf": False})
        super().__init__(*args, **kwargs)
        anything = [SelectChoice("", _l("Any"))]
        self.prefecture.choices = anything + prefecture_choices()
        self.talent_type.choices = anything + choices("talent_types")
        self.work_style.choices = anything + [c for c in choices("work_styles") if c.value != "hybrid"]
        self.scheme.choices = anything + choices("schemes")
        tax, lang = taxonomy(), locale()
        grouped = [SelectChoice("", _l("Any skill"))]
        for category in tax.categories:
            grouped.extend(SelectChoice(item.id, item.name(lang), optgroup=category.name(lang))
                           for item in category.items)
        # Short labels ("≥ 2") fit beside the skill; the level names are on the profile editor.
        levels = [SelectChoice(str(level.value), f"≥ {level.value}", render_kw={"title": level.name(lang)})
                  for level in tax.levels if level.value > 0]
        for i in range(1, SKILL_ROWS + 1):
            self[f"skill_{i}"].choices = grouped
            self[f"level_{i}"].choices = levels

    def criteria(self) -> Criteria:
        """The search service's criteria from the validated form (the page, the API and the Excel export)."""
        return Criteria(words=(self.q.data or "").split(), skills=self.skill_filters(),
                        prefecture=self.prefecture.data or None, min_hours=self.min_hours.data,
                        talent_type=self.talent_type.data or None, work_style=self.work_style.data or None,
                        scheme=self.scheme.data or None, sort=self.sort.data or "updated")

    def skill_filters(self) -> dict[str, int]:
        wanted: dict[str, int] = {}
        for i in range(1, SKILL_ROWS + 1):
            skill, level = self[f"skill_{i}"].data, self[f"level_{i}"].data
            if skill:
                wanted[skill] = max(wanted.get(skill, 0), int(level or 1))
        return wanted
