"""Chinese dates and RMB capitals (中文大写金额): a table of known spellings and a round-trip property."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhifa.documents.formatting import cn_date, cn_datetime, rmb_upper

TABLE = [
    ("0", "零元整"), ("0.05", "伍分"), ("0.5", "伍角整"), ("0.56", "伍角陆分"), ("1", "壹元整"), ("1.05", "壹元零伍分"),
    ("10", "壹拾元整"), ("10.5", "壹拾元伍角整"), ("50", "伍拾元整"), ("101", "壹佰零壹元整"), ("110", "壹佰壹拾元整"),
    ("1001", "壹仟零壹元整"), ("5000", "伍仟元整"), ("10010", "壹万零壹拾元整"), ("24000", "贰万肆仟元整"),
    ("100100", "壹拾万零壹佰元整"), ("1001000", "壹佰万壹仟元整"), ("1000000", "壹佰万元整"),
    ("100000001", "壹亿零壹元整"), ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    ("200000000", "贰亿元整"), ("3050.07", "叁仟零伍拾元零柒分"), ("1.004", "壹元整"), ("1.005", "壹元零壹分"),
]


@pytest.mark.parametrize(("amount", "expected"), TABLE)
def test_rmb_upper_table(amount: str, expected: str) -> None:
    assert rmb_upper(Decimal(amount)) == expected


def test_rmb_upper_edges() -> None:
    assert rmb_upper(None) == ""
    assert rmb_upper(5000) == "伍仟元整"
    with pytest.raises(ValueError):
        rmb_upper(-1)
    with pytest.raises(ValueError):
        rmb_upper("abc")


DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def parse_capitals(text: str) -> Decimal:
    """An independent reader of the capitals (the oracle of the property test)."""
    assert text.endswith("整") or text.endswith("分"), text
    body = text.removesuffix("整")
    yuan_part, _, small = body.partition("元") if "元" in body else ("", "", body)
    total = 0
    section = 0
    digit = 0
    for ch in yuan_part:
        if ch in DIGIT:
            digit = DIGIT[ch]
        elif ch in UNIT:
            section += digit * UNIT[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        elif ch == "亿":
            total = (total + section + digit) * 100_000_000
            section = digit = 0
        else:
            raise AssertionError(f"unexpected {ch!r} in {text}")
    total += section + digit
    cents = total * 100
    small = small.lstrip("零")
    if "角" in small:
        j, _, small = small.partition("角")
        cents += DIGIT[j] * 10
    if "分" in small:
        cents += DIGIT[small.removesuffix("分")]
    return Decimal(cents) / 100


@given(st.integers(min_value=0, max_value=999_999_999_999_99))
def test_rmb_upper_round_trips(cents: int) -> None:
    amount = Decimal(cents) / 100
    text = rmb_upper(amount)
    assert parse_capitals(text) == amount
    assert "零零" not in text and not text.startswith("零") or text == "零元整"
    assert text.endswith("分") != text.endswith("整")


def test_dates() -> None:
    assert cn_date(date(2026, 11, 22)) == "2026年11月22日"
    assert cn_date(date(2026, 1, 5)) == "2026年1月5日"
    assert cn_date("2026-03-08") == "2026年3月8日"
    assert cn_date(None) == ""
    # 2026-11-21 18:00 UTC is the 22nd in Beijing
    assert cn_date(datetime(2026, 11, 21, 18, 0, tzinfo=UTC)) == "2026年11月22日"
    assert cn_datetime(datetime(2026, 11, 22, 1, 5, tzinfo=UTC)) == "2026年11月22日9时05分"
