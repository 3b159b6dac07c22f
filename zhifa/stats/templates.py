"""Report templates (STAT-9: provinces differ): a table definition as data — tables, columns, rows, and in each
cell the name of a counting rule with its arguments (`counting.RULES`). The default template follows the tables of
STAT-3/4/7/8 and the STAT-9 columns; another province's template is another JSON file in `tables/` (ADR 0041)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from zhifa.cases.gates import PENALTY_KINDS
from zhifa.common.errors import ServiceError
from zhifa.stats.counting import RULES, Options, parse_cell

TABLES = Path(__file__).resolve().parent / "tables"
DEFAULT_TEMPLATE = "default"


class TemplateInvalid(ServiceError):
    code = "invalid"
    status = 400


def validate_template(template: dict[str, Any]) -> dict[str, Any]:
    """Refuse a template that names an unknown rule, category, column or duplicate id (TemplateInvalid)."""
    try:
        options = Options.from_template(template["options"])
        if options.corrected_decisions not in ("include", "exclude") or options.amount_unit not in ("wan", "yuan"):
            raise TemplateInvalid("corrected_decisions 应为 include 或 exclude，amount_unit 应为 wan 或 yuan")
        codes = set(options.severity_order).union(*options.categories.values())
        if codes - set(PENALTY_KINDS):
            raise TemplateInvalid(f"未知的处罚种类：{'、'.join(sorted(codes - set(PENALTY_KINDS)))}")
        if not isinstance(template["key"], str) or not isinstance(template["version"], int):
            raise TemplateInvalid("模板的 key 和 version 不正确")
        table_ids: set[str] = set()
        for table in template["tables"]:
            if table["id"] in table_ids:
                raise TemplateInvalid(f"表 {table['id']} 重复")
            table_ids.add(table["id"])
            columns = [c["id"] for c in table["columns"]]
            row_ids: set[str] = set()
            for row in table["rows"]:
                if row["id"] in row_ids:
                    raise TemplateInvalid(f"表 {table['id']} 的行 {row['id']} 重复")
                row_ids.add(row["id"])
                for column, spec in row["cells"].items():
                    if column not in columns:
                        raise TemplateInvalid(f"表 {table['id']} 没有列 {column}")
                    name, args = parse_cell(spec)
                    if name not in RULES:
                        raise TemplateInvalid(f"未知的统计规则 {name}")
                    if "category" in args and args["category"] not in options.categories:
                        raise TemplateInvalid(f"未知的处罚类别 {args['category']}")
    except (KeyError, TypeError, ValueError) as exc:
        raise TemplateInvalid(f"模板格式不正确：{exc}") from exc
    return template


@cache
def _load(key: str) -> str:
    path = TABLES / f"{key}.json"
    if not key.isidentifier() or not path.is_file():
        raise TemplateInvalid(f"没有模板 {key}")
    return path.read_text(encoding="utf-8")


def load_template(key: str = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """A fresh, validated copy of the template `key` (tables/<key>.json)."""
    return validate_template(json.loads(_load(key)))
