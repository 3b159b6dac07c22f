"""Check digits of the identifiers the desensitizer looks for (pure Python, no Django).

Copies of the pure checks in `zhifa.common.identifiers` (which imports Django for its model-field validators):
GB 11643 resident ID (ISO 7064 MOD 11-2), GB 32100 USCC (mod 31) and the Luhn check of bank card numbers.
"""

from __future__ import annotations

from datetime import date
from typing import Final

_ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK: Final = "10X98765432"
USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES: Final = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))


def resident_id_check_char(first17: str) -> str:
    """GB 11643 check character of the first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _valid_birth(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def is_resident_id(value: str) -> bool:
    """An 18-character resident ID (or HK/Macao/Taiwan residence permit) with a valid check digit and birth date."""
    if len(value) != 18 or not value[:17].isdigit() or not value[:17].isascii():
        return False
    if value[:2] in ("00",) or not _valid_birth(value[6:14]):
        return False
    return resident_id_check_char(value[:17]) == value[17].upper()


def is_legacy_resident_id(value: str) -> bool:
    """A 15-digit pre-1999 ID: no check digit exists, so only the shape and the birth date (19YYMMDD) are checked."""
    return len(value) == 15 and value.isdigit() and value.isascii() and _valid_birth("19" + value[6:12])


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_uscc(value: str) -> bool:
    """An 18-character 统一社会信用代码 with a valid check character (ID-3); placeholders are refused (ID-10)."""
    if len(value) != 18 or any(c not in _USCC_VALUES for c in value):
        return False
    if len(set(value[:17])) == 1:
        return False
    return uscc_check_char(value[:17]) == value[17]


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check of bank card numbers."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass the Luhn check (for generating test data)."""
    for d in "0123456789":
        if luhn_ok(body + d):
            return d
    raise AssertionError("unreachable")
