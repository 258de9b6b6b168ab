"""The roster templates to download (.xlsx with a 記入方法 sheet, and CSV) and docs/roster.md, all made from the
column declarations (hub/data/roster_columns.yaml), so that what the hub offers is what it accepts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from hub import limits
from hub.services.roster_columns import Column, Columns
from hub.tabular import Column as TableColumn
from hub.tabular import Table
from skill_taxonomy import Taxonomy

_READ_JA = {"text": "文字", "integer": "整数", "date": "日付", "yes_no": "はい／いいえ", "choice": "次のいずれか1つ",
            "list": "次の中から1つ以上", "skills": "スキル名:レベル（0〜4）", "prefecture": "都道府県名",
            "municipality": "市区町村名"}
_READ_EN = {"text": "text", "integer": "whole number", "date": "date", "yes_no": "yes / no", "choice": "one of",
            "list": "one or more of", "skills": "skill:level (0 to 4)", "prefecture": "prefecture name",
            "municipality": "municipality name"}


def _english(locale: object) -> bool:
    return str(locale).startswith("en")


def allowed_values(column: Column, columns: Columns, taxonomy: Taxonomy, locale: object) -> str:
    english = _english(locale)
    if column.read == "skills":
        return (", " if english else "、").join(item.name(locale) for item in taxonomy.items.values())
    if column.read == "yes_no":
        return "はい, いいえ, ○, ×, yes, no" if english else "はい、いいえ、○、×"
    if column.read == "prefecture":
        return "e.g. 長野県 (47 prefectures)" if english else "例：長野県（47都道府県）"
    words = columns.allowed(column, locale)
    return (", " if english else "、").join(words)


def how_to(column: Column, locale: object) -> str:
    kinds = _READ_EN if _english(locale) else _READ_JA
    return f"{column.help(locale)}（{kinds[column.read]}）" if not _english(locale) \
        else f"{column.help(locale)} ({kinds[column.read]})"


def roster_table(columns: Columns, locale: object) -> Table:
    """The roster sheet: the header row and one example row."""
    return Table(name="roster", title=_l("Roster"),
                 columns=[TableColumn(c.key, c.header(locale)) for c in columns.columns],
                 rows=[{c.key: c.example for c in columns.columns}])


def instructions_table(columns: Columns, taxonomy: Taxonomy, locale: object) -> Table:
    """The 記入方法 sheet: each column, whether it is required, how to fill it in, the words it accepts."""
    yes, no = (("yes", "") if _english(locale) else ("必須", ""))
    rows = [{"header": c.header(locale), "required": yes if c.required else no,
             "aliases": ", ".join(h for h in c.headers if h != c.header(locale)),
             "how": how_to(c, locale), "allowed": allowed_values(c, columns, taxonomy, locale),
             "example": c.example} for c in columns.columns]
    return Table(name="instructions", title=_l("How to fill in"), columns=[
        TableColumn("header", _l("Column"), width=22), TableColumn("required", _l("Required"), width=8),
        TableColumn("aliases", _l("Other headers accepted"), width=30), TableColumn("how", _l("How to fill in"), width=60),
        TableColumn("allowed", _l("Allowed values"), width=60), TableColumn("example", _l("Example"), width=30)],
        rows=rows, note=_l("One row per person. At most %(rows)s rows and %(mb)d MB per file; nothing is imported "
                           "when any row has an error.", rows="{:,}".format(limits.ROSTER_ROWS),
                           mb=limits.ROSTER_FILE_BYTES // (1024 * 1024)))


def documentation(columns: Columns, taxonomy: Taxonomy) -> str:
    """docs/roster.md (scripts/roster_docs.py writes it; a test keeps it current)."""
    lines = [
        "# Roster import (名簿の取り込み)",
        "",
        "<!-- Generated from hub/data/roster_columns.yaml by `.venv/bin/python scripts/roster_docs.py`; "
        "do not edit by hand. -->",
        "",
        "An adviser roster (地域情報化アドバイザー) or an external-talent list (外部人材リスト) kept in Excel is "
        "imported from an `.xlsx` workbook or a CSV file with Japanese headers: on the web at `/roster/import` "
        "(admins and approved bureau staff) or from the command line:",
        "",
        "```",
        "flask --app app import-roster FILE [--sheet NAME] [--scheme adviser|external_list] [--lang ja|en]",
        "```",
        "",
        "Templates: `/roster/template.xlsx` (a header row, an example row and a sheet 「記入方法」 explaining "
        "each column) and `/roster/template.csv` (UTF-8 with BOM).",
        "",
        "## Rules",
        "",
        "- All or nothing: every row is checked first, with the same checker as `flask --app app import-experts` "
        "(docs/interchange.md); when any row is bad nothing is written, and every error names the sheet, the row "
        "and the column as they appear in the file, e.g. 「シート『名簿』の12行目、列『メール』: "
        "メールアドレスの形式が正しくありません」.",
        "- Files: `.xlsx` (read-only, values of formulas as last saved); `.xls`, `.xlsm` and `.xlsb` are refused. "
        "CSV in UTF-8 (with or without BOM) or Shift_JIS (cp932, as Excel saves 「CSV（コンマ区切り）」); the "
        "encoding used is reported.",
        f"- Limits (hub/limits.py): {limits.ROSTER_FILE_BYTES // (1024 * 1024)} MB per file, "
        f"{limits.ROSTER_UNPACKED_BYTES // (1024 * 1024)} MB unpacked (.xlsx), {limits.ROSTER_ROWS:,} rows, "
        f"{limits.ROSTER_COLUMNS} columns, {limits.ROSTER_CELL_CHARS:,} characters per cell.",
        "- The first non-empty row is the header. Headers are matched ignoring spaces, full-width letters and case; "
        "a column the hub does not know is an error (rename or delete it), so nothing is silently dropped.",
        "- A workbook's sheet: `--sheet` (or the form's field), else a sheet named 「名簿」, else the first sheet "
        "that is not 「記入方法」.",
        "- The list type chosen (the form's list type, `--scheme`) is added to every row's schemes. Bureau staff "
        "import adviser rosters; admins and the command line any list.",
        "- Same ID again: the row updates that expert; columns the file does not have keep the hub's values, and "
        "the expert's engagement history stays. A row is refused when its ID belongs to an expert who registered "
        "on the hub (or deleted their account), or, for bureau staff, to an expert another organization's roster "
        "(or an admin) created.",
        "- On the web the file is checked on upload (errors are shown, nothing is written); a valid file becomes a "
        "background job `roster.import`, checked again, with its progress at `/jobs/<id>`. The uploaded bytes "
        "are kept in the database only until the job ends.",
        "- Each import is audited as `expert.import` with the file name, format, encoding, sheet and counts.",
        "",
        "## Columns",
        "",
        "| 列名 (header) | English header | Required | Also accepted | Key | How to fill in | Allowed values |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in columns.columns:
        allowed = allowed_values(c, columns, taxonomy, "ja")
        if c.read == "skills":
            allowed = "DSSのスキル項目名（例：" + "、".join(list(i.name("ja") for i in taxonomy.items.values())[:4]) \
                + " … 全49項目）、またはその id"
        aliases = ", ".join(c.aliases)
        lines.append(f"| {c.header_ja} | {c.header_en} | {'yes' if c.required else ''} | {aliases} | `{c.key}` | "
                     f"{how_to(c, 'ja')} | {allowed} |")
    lines += ["", "Lists are separated by 「、」, 「,」 or new lines; skills are written 「スキル名:レベル」 "
              "(e.g. 「バックエンドシステム開発:3」). Vocabulary cells accept the Japanese label, the English label or "
              "the id.", ""]
    return "\n".join(lines)
