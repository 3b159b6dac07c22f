"""Chinese formats printed on documents: dates (2026年11月22日), times, and RMB amounts in capitals (伍仟元整).

Pure functions with no Django dependency beyond time zones; used by the HTML template filters
(`templatetags/documents.py`) and the DOCX Jinja environment (`rendering.py`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")  # within a four-digit section
SECTION_UNITS = ("", "万", "亿", "万亿")  # 10^0, 10^4, 10^8, 10^12
MAX_AMOUNT = Decimal("9999999999999999.99")


def _as_date_or_datetime(value: Any) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value) if "T" in value or " " in value.strip() else date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _local(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI) if value.tzinfo is not None else value


def cn_date(value: Any) -> str:
    """2026年11月22日 (no leading zeros), for a date, a datetime (shown in Asia/Shanghai) or an ISO string; "" if
    empty or unreadable (templates must tolerate absent optional dates)."""
    parsed = _as_date_or_datetime(value)
    if parsed is None:
        return "" if value in (None, "") else str(value)
    if isinstance(parsed, datetime):
        parsed = _local(parsed)
    return f"{parsed.year}年{parsed.month}月{parsed.day}日"


def cn_datetime(value: Any) -> str:
    """2026年11月22日9时05分 (a date alone prints as cn_date)."""
    parsed = _as_date_or_datetime(value)
    if parsed is None:
        return "" if value in (None, "") else str(value)
    if not isinstance(parsed, datetime):
        return cn_date(parsed)
    parsed = _local(parsed)
    return f"{parsed.year}年{parsed.month}月{parsed.day}日{parsed.hour}时{parsed.minute:02d}分"


def _section(n: int) -> str:
    """A number 1..9999 in capitals, zeros inside collapsed to one 零, trailing zeros dropped."""
    out: list[str] = []
    digits = f"{n:04d}"
    zero = False
    started = False
    for i, ch in enumerate(digits):
        d = int(ch)
        unit = SMALL_UNITS[3 - i]
        if d == 0:
            zero = started
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[d] + unit)
        started = True
    return "".join(out)


def rmb_upper(value: Any) -> str:
    """An amount of yuan in capitals as written on Chinese financial documents (中文大写金额).

    5000 → 伍仟元整; 100100 → 壹拾万零壹佰元整; 1.05 → 壹元零伍分; 0.5 → 伍角整; 0 → 零元整. Rounded half-up to
    the fen. "整" follows 元 or 角 when there is no 分. Empty → ""; negative or too large → ValueError.
    """
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if amount < 0 or amount > MAX_AMOUNT:
        raise ValueError(f"amount out of range: {value!r}")
    cents = int(amount * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    parts: list[str] = []
    if yuan:
        sections: list[int] = []
        rest = yuan
        while rest:
            sections.append(rest % 10000)
            rest //= 10000
        need_zero = False
        for index in range(len(sections) - 1, -1, -1):
            sec = sections[index]
            if sec == 0:
                need_zero = bool(parts)
                continue
            if parts and (need_zero or sec < 1000):
                parts.append("零")
            parts.append(_section(sec) + SECTION_UNITS[index])
            need_zero = False
        parts.append("元")
    if not yuan and not jiao and not fen:
        return "零元整"
    if jiao:
        parts.append(DIGITS[jiao] + "角")
    elif fen and yuan:
        parts.append("零")
    if fen:
        parts.append(DIGITS[fen] + "分")
    else:
        parts.append("整")
    return "".join(parts)


def yuan(value: Any) -> str:
    """¥5,000.00 style figures for the small print beside the capitals: 5000.00."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    except InvalidOperation:
        return str(value)
