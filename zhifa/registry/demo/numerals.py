"""Chinese numerals as used in article numbers (第六十五条, 第一百零二条, 第一百一十九条)."""

from __future__ import annotations

_DIGITS = "零一二三四五六七八九"
_UNITS = ((1000, "千"), (100, "百"), (10, "十"))


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 15 → 十五, 65 → 六十五, 102 → 一百零二, 110 → 一百一十, 1000 → 一千 (1 ≤ n ≤ 9999)."""
    if not 1 <= n <= 9999:
        raise ValueError(f"article numbers run from 1 to 9999, not {n}")
    if 10 <= n < 20:  # 十, 十五: the leading 一 is dropped below twenty
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    out: list[str] = []
    rest = n
    pending_zero = False
    for value, unit in _UNITS:
        digit, rest = divmod(rest, value)
        if digit:
            if pending_zero:
                out.append("零")
                pending_zero = False
            out.append(_DIGITS[digit] + unit)
        elif out:
            pending_zero = True
    if rest:
        if pending_zero:
            out.append("零")
        out.append(_DIGITS[rest])
    return "".join(out)


def article_label(n: int) -> str:
    """65 → 第六十五条."""
    return f"第{chinese_numeral(n)}条"
