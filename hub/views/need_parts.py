"""The need form's team roles and co-organization rows (shared needs): choices, data, and their rules' errors."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from hub.forms import locale, options, taxonomy
from hub.forms.needs import BLANK_SHARE_ROWS, NeedForm
from hub.gazetteer import load_gazetteer
from hub.models import Need, Organization
from hub.services.needs import NeedData, ShareData, split_hours, team_and_share_problems

SHARE_PROBLEM_MESSAGES = {
    "roles_hours_sum": _l("The roles' hours must add up to the need's hours per month."),
    "share_is_lead": _l("Your own organization is the lead; choose another organization."),
    "share_twice": _l("Each co-organization can be listed only once."),
    "shares_hours_over": _l("The co-organizations' hours exceed the need's hours per month."),
    "share_budget_without_budget": _l("Give the need's budget first; a share is part of it."),
    "shares_budget_over": _l("The co-organizations' budget shares exceed the need's budget."),
}


def form_data(need: Need) -> dict:
    """The team roles and share rows of an existing need, as the form's initial data."""
    return {"team_roles": [r.role_id for r in need.team_roles],
            "shares": [{"lg_code": s.organization.lg_code, "hours_per_month": s.hours_per_month,
                        "budget_max": s.budget_max} for s in need.shares]}


def prepare(form: NeedForm, organization: Organization) -> None:
    """Choices in the user's language: DSS roles, and the local governments of the lead's prefecture."""
    lang = locale()
    form.team_roles.choices = options((r.id, r.name(lang)) for r in taxonomy().roles.values())
    gazetteer = load_gazetteer()
    places = [p for p in gazetteer.municipalities(organization.prefecture_code) if p.lg_code != organization.lg_code]
    row_choices = [SelectChoice("", _("(none)"))] + [SelectChoice(p.lg_code, p.full_name) for p in places]
    known = {p.lg_code for p in places}
    blanks = sum(1 for row in form.shares if not row.form.lg_code.data)
    for _i in range(BLANK_SHARE_ROWS - blanks):
        form.shares.append_entry({"lg_code": ""})
    for row in form.shares:
        code = row.form.lg_code.data
        extra = ([SelectChoice(code, gazetteer.by_code(code).full_name)]
                 if code and code not in known and gazetteer.by_code(code) else [])
        row.form.lg_code.choices = row_choices + extra


def apply_to(data: NeedData, form: NeedForm, organization: Organization, need: Need | None = None) -> None:
    """Put the form's team roles and shares into the need's data.

    The hours are split evenly over the roles, unless the need keeps the same roles and hours (an import may
    have given them unevenly: 20 + 20 + 30).
    """
    data.org_lg_code = organization.lg_code
    roles = list(form.team_roles.data or [])
    kept = need.role_hours if need is not None else {}
    if kept and set(kept) == set(roles) and sum(kept.values()) == data.hours_per_month:
        data.team_roles = dict(kept)
    else:
        data.team_roles = split_hours(data.hours_per_month, roles)
    data.shares = [ShareData(row.form.lg_code.data, row.form.hours_per_month.data, row.form.budget_max.data)
                   for row in form.shares if row.form.lg_code.data]


def rules_hold(data: NeedData, form: NeedForm) -> bool:
    """Attach the broken rules of team roles and shares to the form's fields; True when none is broken."""
    problems = team_and_share_problems(data)
    rows = [row for row in form.shares if row.form.lg_code.data]
    for code, index in problems:
        message = str(SHARE_PROBLEM_MESSAGES[code])
        if code == "roles_hours_sum":
            form.team_roles.errors = list(form.team_roles.errors) + [message]
        elif index is not None and index < len(rows):
            field = rows[index].form.budget_max if code == "share_budget_without_budget" else rows[index].form.lg_code
            field.errors = list(field.errors) + [message]
        else:
            form.shares.errors = list(form.shares.errors) + [message]
    return not problems
