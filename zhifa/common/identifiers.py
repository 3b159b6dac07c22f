"""Validation of Chinese identifiers (rules ID-1…ID-10 in the domain rules, section 1.6).

Two identifiers are covered:

* 统一社会信用代码 (USCC, GB 32100): 18 characters; the check character (ID-3) is a MUST, the check of
  the embedded organization code (GB 11714, ID-4) is only a SHOULD and is reported as a warning on the
  result. Unknown registration-authority or category codes (ID-5) are warnings too, because the table
  of codes keeps growing; it lives in ``REGISTRATION_AUTHORITIES`` / ``ORGANIZATION_CATEGORIES``.
* 公民身份号码 (resident ID, GB 11643): 18 digits with an ISO 7064 MOD 11-2 check character (ID-6/ID-7),
  legacy 15-digit numbers (ID-8, converted to 18 digits, the original is kept) and residence permits of
  Hong Kong, Macao and Taiwan residents (ID-9, address codes 810000/820000/830000, same check).

Normalisation (``normalize_identifier``), applied before any check:

1. Unicode NFKC, so full-width digits and letters (``９１５…``, ``Ｘ``) become ASCII. A side effect is that
   other compatibility characters that fold to ASCII (e.g. circled or superscript digits) fold too.
2. Surrounding whitespace (including the ideographic space U+3000, which NFKC turns into a space) is stripped.
3. Uppercasing, so ``x`` becomes ``X`` (ID-2, ID-7).

Decision on inner whitespace: it is **rejected** (error code ``inner_whitespace``), not removed. People do type
codes in groups (``9151 0100 …``) but silently joining the parts would also join two pasted codes or a code
and a stray digit; a clear message asking to remove the spaces is cheaper than a wrong identifier. Other
separators (hyphens, dots) are simply invalid characters.

Placeholders (ID-10): a code whose first 17 characters are all the same (``00000000000000000X``,
``000000000000000000`` — the latter even passes the ID-3 check) is rejected with the code ``placeholder``.
The 双公示 exports that tolerate placeholders (DS-9) must not use these validators.

Django model-field validators (``validate_uscc_field``, ``validate_resident_id_field``) additionally require
the value to be already normalised (error code ``not_normalized``, the message shows the normalised form):
the field stores what it is given, and a lowercase or full-width copy of a code would slip past the unique
constraint. Forms should call ``normalize_identifier`` in their ``clean_<field>`` method first.

Every error is an ``IdentifierError`` (a ``ValueError``) with a Chinese message for the user and a stable
English ``code`` for programs and tests.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

__all__ = [
    "MAINLAND_PROVINCE_CODES",
    "ORGANIZATION_CATEGORIES",
    "PERMIT_REGION_CODES",
    "REGISTRATION_AUTHORITIES",
    "USCC_ALPHABET",
    "IdentifierError",
    "ResidentIdResult",
    "UsccResult",
    "age_on",
    "is_valid_resident_id",
    "is_valid_uscc",
    "normalize_identifier",
    "organization_code_check_char",
    "parse_resident_id",
    "parse_uscc",
    "resident_id_check_char",
    "uscc_check_char",
    "validate_resident_id_field",
    "validate_uscc_field",
]

# --------------------------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------------------------

#: ID-2: the 31 characters of the USCC alphabet; a character's value is its index (A=10 … Y=30).
USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES: Final[Mapping[str, int]] = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
#: ID-3: 3^(i-1) mod 31 for positions 1-17.
_USCC_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))

#: ID-4: GB 11714 weights for the 8 body characters of the organization code.
_ORG_CODE_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)

#: ID-7: ISO 7064 MOD 11-2 weights 2^(18-i) mod 11 for positions 1-17, and the check characters by remainder.
_RESIDENT_ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
_RESIDENT_ID_CHECK_CHARS: Final = "10X98765432"

_DIGITS: Final = frozenset("0123456789")

#: ID-5 (CONFIG): registration-authority codes (position 1). 1, 5, 9 and Y are in GB 32100; the others were
#: added later and are taken from public code lists [U]. Extend here when new codes appear; an unknown code
#: is only a warning.
REGISTRATION_AUTHORITIES: Final[Mapping[str, str]] = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商/市场监管",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}

#: ID-5 (CONFIG): organization-category codes (position 2) per registration authority. Entries not listed in
#: the domain rules come from public code lists [U].
ORGANIZATION_CATEGORIES: Final[Mapping[str, Mapping[str, str]]] = {
    "1": {"1": "机关", "2": "事业单位", "3": "群团（中央编办直接管理机构编制的群众团体）", "9": "其他"},
    "2": {"1": "外国常驻新闻机构", "9": "其他"},
    "3": {
        "1": "律师执业机构",
        "2": "公证处",
        "3": "基层法律服务所",
        "4": "司法鉴定机构",
        "5": "仲裁委员会",
        "9": "其他",
    },
    "4": {"1": "外国在华文化中心", "9": "其他"},
    "5": {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},
    "6": {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    "7": {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"},
    "8": {"1": "基层工会", "9": "其他"},
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
    "A": {"1": "军队事业单位", "9": "其他"},
    "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    "Y": {"1": "其他（不再细分）"},
}

#: ID-6: first two digits of the address code (GB/T 2260 province level) accepted in resident IDs.
#: Hong Kong (81) and Macao (82) only occur as the exact permit codes below (ID-9).
MAINLAND_PROVINCE_CODES: Final[Mapping[str, str]] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "71": "台湾省",
}  # fmt: skip

#: ID-9: address codes of residence permits for Hong Kong, Macao and Taiwan residents.
PERMIT_REGION_CODES: Final[Mapping[str, str]] = {
    "810000": "香港居民居住证",
    "820000": "澳门居民居住证",
    "830000": "台湾居民居住证",
}

#: Birth dates are compared with today's date in China.
_CHINA_TZ: Final = ZoneInfo("Asia/Shanghai")

_USCC_LABEL: Final = "统一社会信用代码"
_RESIDENT_ID_LABEL: Final = "公民身份号码"

#: Warning codes and messages on ``UsccResult`` (ID-4, ID-5).
WARNING_ORG_CODE_CHECK: Final = "uscc_org_code_check"
WARNING_UNKNOWN_AUTHORITY: Final = "uscc_unknown_authority"
WARNING_UNKNOWN_CATEGORY: Final = "uscc_unknown_category"


# --------------------------------------------------------------------------------------------------------------
# Errors and results
# --------------------------------------------------------------------------------------------------------------


class IdentifierError(ValueError):
    """An identifier failed validation. ``message`` is for users (Chinese), ``code`` is stable (English)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"IdentifierError({self.message!r}, code={self.code!r})"


@dataclass(frozen=True)
class UsccResult:
    """A valid USCC split into its parts (ID-1). ``warnings`` are Chinese messages, ``warning_codes`` match them."""

    canonical: str
    registration_authority: str
    category: str
    region_code: str
    organization_code: str
    warnings: tuple[str, ...]
    warning_codes: tuple[str, ...] = ()

    @property
    def registration_authority_label(self) -> str | None:
        return REGISTRATION_AUTHORITIES.get(self.registration_authority)

    @property
    def category_label(self) -> str | None:
        return ORGANIZATION_CATEGORIES.get(self.registration_authority, {}).get(self.category)


@dataclass(frozen=True)
class ResidentIdResult:
    """A valid resident ID (ID-6…ID-9). ``canonical`` always has 18 characters; ``original`` is the normalised input."""

    canonical: str
    original: str
    birth_date: date
    sex: Literal["male", "female"]
    region_code: str
    is_legacy_15: bool
    is_hk_mo_tw_permit: bool


# --------------------------------------------------------------------------------------------------------------
# Check characters
# --------------------------------------------------------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    """ID-3: the check character for the first 17 (canonical) characters of a USCC."""
    if len(first17) != 17 or any(ch not in _USCC_VALUES for ch in first17):
        raise ValueError(f"expected 17 characters of the USCC alphabet, got {first17!r}")
    total = sum(_USCC_VALUES[ch] * weight for ch, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organization_code_check_char(first8: str) -> str:
    """ID-4: the GB 11714 check character for the 8 body characters of an organization code."""
    if len(first8) != 8 or any(not ("0" <= ch <= "9" or "A" <= ch <= "Z") for ch in first8):
        raise ValueError(f"expected 8 characters 0-9/A-Z, got {first8!r}")
    total = sum(
        (int(ch) if ch in _DIGITS else ord(ch) - ord("A") + 10) * weight
        for ch, weight in zip(first8, _ORG_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def resident_id_check_char(first17: str) -> str:
    """ID-7: the ISO 7064 MOD 11-2 check character for the first 17 digits of a resident ID."""
    if len(first17) != 17 or any(ch not in _DIGITS for ch in first17):
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    total = sum(int(ch) * weight for ch, weight in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK_CHARS[total % 11]


# --------------------------------------------------------------------------------------------------------------
# Normalisation and shared checks
# --------------------------------------------------------------------------------------------------------------


def normalize_identifier(raw: str) -> str:
    """NFKC, strip surrounding whitespace, uppercase. Inner whitespace is kept (and rejected by the parsers)."""
    return unicodedata.normalize("NFKC", raw).strip().upper()


def _display_char(ch: str) -> str:
    return ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def _normalize_or_raise(raw: str, label: str) -> str:
    value = normalize_identifier(raw)
    if not value:
        raise IdentifierError(f"{label}不能为空", code="empty")
    if any(ch.isspace() for ch in value):
        raise IdentifierError(f"{label}中间不能有空格，请删除空格后重新填写", code="inner_whitespace")
    return value


def _raise_if_placeholder(value: str, label: str) -> None:
    """ID-10: the first 17 characters all the same (e.g. 00000000000000000X)."""
    if len(set(value[:17])) == 1:
        raise IdentifierError(f"{label}“{value}”是占位代码，不是有效的{label}", code="placeholder")


# --------------------------------------------------------------------------------------------------------------
# USCC
# --------------------------------------------------------------------------------------------------------------


def parse_uscc(raw: str) -> UsccResult:
    """Validate a USCC (ID-1…ID-5, ID-10) and split it into its parts; raise ``IdentifierError`` if invalid."""
    value = _normalize_or_raise(raw, _USCC_LABEL)
    if len(value) != 18:
        raise IdentifierError(f"统一社会信用代码应为18位，当前为{len(value)}位", code="uscc_length")
    for position, ch in enumerate(value, start=1):
        if ch not in _USCC_VALUES:
            raise IdentifierError(
                f"统一社会信用代码第{position}位“{_display_char(ch)}”不是有效字符"
                "（只能是数字和大写字母，不使用 I、O、Z、S、V）",
                code="uscc_char",
            )
    _raise_if_placeholder(value, _USCC_LABEL)
    if uscc_check_char(value[:17]) != value[17]:
        raise IdentifierError("统一社会信用代码校验码不正确，请核对后重新填写", code="uscc_check")

    authority, category = value[0], value[1]
    organization_code = value[8:17]
    warnings: list[str] = []
    warning_codes: list[str] = []
    if authority not in REGISTRATION_AUTHORITIES:
        warning_codes.append(WARNING_UNKNOWN_AUTHORITY)
        warnings.append(f"统一社会信用代码的登记管理部门代码“{authority}”不在已知代码表中，请核对")
    elif category not in ORGANIZATION_CATEGORIES.get(authority, {}):
        warning_codes.append(WARNING_UNKNOWN_CATEGORY)
        warnings.append(f"统一社会信用代码的机构类别代码“{authority}{category}”不在已知代码表中，请核对")
    if organization_code_check_char(organization_code[:8]) != organization_code[8]:
        warning_codes.append(WARNING_ORG_CODE_CHECK)
        warnings.append(f"统一社会信用代码中的组织机构代码“{organization_code}”校验位不符合 GB 11714，请核对")
    return UsccResult(
        canonical=value,
        registration_authority=authority,
        category=category,
        region_code=value[2:8],
        organization_code=organization_code,
        warnings=tuple(warnings),
        warning_codes=tuple(warning_codes),
    )


def is_valid_uscc(raw: str) -> bool:
    """True if ``parse_uscc`` accepts the value (warnings do not make it invalid)."""
    try:
        parse_uscc(raw)
    except IdentifierError:
        return False
    return True


# --------------------------------------------------------------------------------------------------------------
# Resident ID
# --------------------------------------------------------------------------------------------------------------


def _today_in_china() -> date:
    return datetime.now(_CHINA_TZ).date()


def parse_resident_id(raw: str, *, today: date | None = None) -> ResidentIdResult:
    """Validate a resident ID (ID-6…ID-10); 15-digit numbers are converted to 18 digits (ID-8).

    ``today`` (default: today's date in China) is the latest birth date accepted.
    """
    value = _normalize_or_raise(raw, _RESIDENT_ID_LABEL)
    if len(value) not in (15, 18):
        raise IdentifierError(f"公民身份号码应为18位（或旧版15位），当前为{len(value)}位", code="id_length")
    is_legacy = len(value) == 15
    for position, ch in enumerate(value, start=1):
        if ch not in _DIGITS and not (position == 18 and ch == "X"):
            rule = "应全部为数字" if is_legacy else "前17位应为数字，第18位为数字或X"
            raise IdentifierError(f"公民身份号码第{position}位“{_display_char(ch)}”无效（{rule}）", code="id_char")
    _raise_if_placeholder(value, _RESIDENT_ID_LABEL)

    if is_legacy:
        first17 = value[:6] + "19" + value[6:]
        canonical = first17 + resident_id_check_char(first17)
    else:
        canonical = value
        if resident_id_check_char(value[:17]) != value[17]:
            raise IdentifierError("公民身份号码校验码不正确，请核对后重新填写", code="id_check")

    region_code = canonical[:6]
    if region_code not in PERMIT_REGION_CODES and region_code[:2] not in MAINLAND_PROVINCE_CODES:
        raise IdentifierError(f"公民身份号码的地址码“{region_code}”无效", code="id_region")

    digits = canonical[6:14]
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise IdentifierError(f"公民身份号码中的出生日期“{digits}”不是有效日期", code="id_birth_date") from None
    if today is None:
        today = _today_in_china()
    if birth_date > today:
        raise IdentifierError(f"公民身份号码中的出生日期{birth_date.isoformat()}晚于当前日期", code="id_future_birth")

    return ResidentIdResult(
        canonical=canonical,
        original=value,
        birth_date=birth_date,
        sex="male" if int(canonical[16]) % 2 == 1 else "female",
        region_code=region_code,
        is_legacy_15=is_legacy,
        is_hk_mo_tw_permit=region_code in PERMIT_REGION_CODES,
    )


def is_valid_resident_id(raw: str, *, today: date | None = None) -> bool:
    """True if ``parse_resident_id`` accepts the value."""
    try:
        parse_resident_id(raw, today=today)
    except IdentifierError:
        return False
    return True


def _anniversary(birth_date: date, year: int) -> date:
    """The birthday in ``year``; 29 February falls on 28 February in common years (month end, 民法典 Art. 203)."""
    if birth_date.month == 2 and birth_date.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return birth_date.replace(year=year)


def age_on(birth_date: date, day: date) -> int:
    """Age in completed years (周岁) on ``day``, per CASE-19: an age is reached on the day *after* the birthday.

    So someone born on 2010-05-01 is 13 on 2024-05-01 and 14 from 2024-05-02. Raises ``ValueError`` if ``day`` is
    before ``birth_date``.
    """
    if day < birth_date:
        raise ValueError(f"day {day} is before birth date {birth_date}")
    years = day.year - birth_date.year
    if day <= _anniversary(birth_date, day.year):
        years -= 1
    return max(years, 0)


# --------------------------------------------------------------------------------------------------------------
# Django validators
# --------------------------------------------------------------------------------------------------------------


def _require_normalized(value: str, normalized: str) -> None:
    if value != normalized:
        raise ValidationError(f"请按规范格式填写：{normalized}", code="not_normalized")


def validate_uscc_field(value: str) -> None:
    """Model/form validator for a USCC field. Requires the normalised form (see module docstring)."""
    try:
        result = parse_uscc(value)
    except IdentifierError as exc:
        raise ValidationError(exc.message, code=exc.code) from exc
    _require_normalized(value, result.canonical)


def validate_resident_id_field(value: str) -> None:
    """Model/form validator for a resident-ID field. Accepts 18 digits or a legacy 15-digit number, normalised."""
    try:
        result = parse_resident_id(value)
    except IdentifierError as exc:
        raise ValidationError(exc.message, code=exc.code) from exc
    _require_normalized(value, result.original)
