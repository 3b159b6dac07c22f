"""Paging shared by every list: the API's `offset`/`limit` parameters and the staff pages' `?page=`.

An offset above what the database's 64-bit integers hold (e.g. 2^64) used to reach SQLite and come back as a 500
(issue 9 defect 10). Every list declares its parameters through here, so the bound is in the OpenAPI schema and a
client past it gets a clear error (the API's 422 "分页参数超出范围" in `zhifa.api`), and a page number past the
bound is clamped to the last possible page, never an error page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query

MAX_OFFSET = 2**31 - 1  # far beyond any real list; fits every database's integers with any limit added
OFFSET_HELP = f"跳过的条数（0 至 {MAX_OFFSET}）"


def offset_query(description: str = OFFSET_HELP) -> Any:
    """`offset: int = offset_query()` in an API operation."""
    return Query(0, ge=0, le=MAX_OFFSET, description=description)


def limit_query(default: int, maximum: int, description: str = "每页条数") -> Any:
    """`limit: int = limit_query(50, 200)` in an API operation."""
    return Query(default, ge=1, le=maximum, description=f"{description}（1 至 {maximum}）")


def window(offset: int, limit: int) -> slice:
    """The slice of a queryset for `offset`/`limit`, after checking both (services may be called directly)."""
    offset = min(max(0, int(offset)), MAX_OFFSET)
    limit = max(0, int(limit))
    return slice(offset, offset + limit)


def page_number(request: HttpRequest, page_size: int, name: str = "page") -> int:
    """The 1-based `?page=` of a staff list: anything not a positive integer is page 1; a page past the largest
    offset the database accepts is clamped to it (the page then shows "no rows", not an error)."""
    raw = request.GET.get(name, "1").strip()
    if not raw.isdigit() or not raw.isascii():
        return 1
    last = MAX_OFFSET // max(1, page_size) + 1
    return max(1, min(int(raw[:12]), last))


PAGING_FIELDS = frozenset({"offset", "limit", "page"})


def paging_message(errors: list[dict[str, Any]]) -> str:
    """A specific message when a request failed validation only on its paging parameters, else ""."""
    names = {str(loc) for e in errors for loc in (e.get("loc") or ())[-1:]}
    if names and names <= PAGING_FIELDS:
        return f"分页参数超出范围：offset 须为 0 至 {MAX_OFFSET} 之间的整数，limit 须在该列表允许的范围内。"
    return ""
