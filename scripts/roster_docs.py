"""Write docs/roster.md from the roster column declarations (hub/data/roster_columns.yaml)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import skill_taxonomy  # noqa: E402
from hub.services.roster_columns import load_columns  # noqa: E402
from hub.services.roster_templates import documentation  # noqa: E402


def main() -> None:
    taxonomy = skill_taxonomy.load()
    (ROOT / "docs" / "roster.md").write_text(documentation(load_columns(taxonomy), taxonomy), encoding="utf-8")


if __name__ == "__main__":
    main()
