"""Tests for zhifa.common.identifiers (rules ID-1…ID-10, Appendix A vectors, CASE-19 ages). No database needed."""

from __future__ import annotations

import calendar
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from typing import Literal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from zhifa.common.identifiers import (
    MAINLAND_PROVINCE_CODES,
    ORGANIZATION_CATEGORIES,
    REGISTRATION_AUTHORITIES,
    USCC_ALPHABET,
    WARNING_ORG_CODE_CHECK,
    WARNING_UNKNOWN_AUTHORITY,
    WARNING_UNKNOWN_CATEGORY,
    IdentifierError,
    ResidentIdResult,
    age_on,
    is_valid_resident_id,
    is_valid_uscc,
    normalize_identifier,
    organization_code_check_char,
    parse_resident_id,
    parse_uscc,
    resident_id_check_char,
    uscc_check_char,
    validate_resident_id_field,
    validate_uscc_field,
)

TODAY = date(2025, 6, 30)
PROPERTY = settings(max_examples=200, deadline=None)


def full_width(text: str) -> str:
    """ASCII → full-width forms (U+FF01…U+FF5E)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def make_uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def make_resident_id(region: str, birth: date, sequence: str) -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    return first17 + resident_id_check_char(first17)


def error_code(func: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(IdentifierError) as info:
        func(*args, **kwargs)
    return info.value.code


# --- strategies ------------------------------------------------------------------------------------------------

uscc_first17 = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17).filter(lambda s: len(set(s)) > 1)
valid_usccs = uscc_first17.map(make_uscc)
digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@st.composite
def resident_ids(draw: st.DrawFn, min_birth: date = date(1900, 1, 1), max_birth: date = TODAY) -> str:
    region = draw(st.sampled_from(sorted(MAINLAND_PROVINCE_CODES))) + draw(
        st.text(alphabet="0123456789", min_size=4, max_size=4)
    )
    birth = draw(st.dates(min_value=min_birth, max_value=max_birth))
    sequence = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return make_resident_id(region, birth, sequence)


# --- Appendix A ------------------------------------------------------------------------------------------------

APPENDIX_A_VALID_USCC = ["91510100MA00000077", "1210000040000000XN", "511100005000000071", "92440300MA5F0000XX"]
APPENDIX_A_INVALID_USCC = [
    ("91510100MA00000078", "uscc_check"),
    ("91510100MA0000007I", "uscc_char"),
    ("00000000000000000X", "placeholder"),
]
APPENDIX_A_VALID_ID: list[tuple[str, date, Literal["male", "female"]]] = [
    ("11010519491231002X", date(1949, 12, 31), "female"),
    ("440524188001010014", date(1880, 1, 1), "male"),
    ("110105200002291235", date(2000, 2, 29), "male"),
]
APPENDIX_A_INVALID_ID = [("110105190002291239", "id_birth_date"), ("510104199001010010", "id_check")]


@pytest.mark.parametrize("code", APPENDIX_A_VALID_USCC)
def test_appendix_a_valid_uscc(code: str) -> None:
    """ID-1…ID-4: valid synthetic codes, including their embedded organization code (no warnings)."""
    result = parse_uscc(code)
    assert result.canonical == code
    assert result.warnings == ()
    assert is_valid_uscc(code)


@pytest.mark.parametrize(("code", "expected"), APPENDIX_A_INVALID_USCC)
def test_appendix_a_invalid_uscc(code: str, expected: str) -> None:
    """ID-2, ID-3, ID-10."""
    assert error_code(parse_uscc, code) == expected
    assert not is_valid_uscc(code)


@pytest.mark.parametrize(("number", "birth", "sex"), APPENDIX_A_VALID_ID)
def test_appendix_a_valid_resident_id(number: str, birth: date, sex: Literal["male", "female"]) -> None:
    """ID-6/ID-7, including the GB 11643 samples and a real 29 February."""
    result = parse_resident_id(number, today=TODAY)
    assert result == ResidentIdResult(
        canonical=number,
        original=number,
        birth_date=birth,
        sex=sex,
        region_code=number[:6],
        is_legacy_15=False,
        is_hk_mo_tw_permit=False,
    )
    assert is_valid_resident_id(number, today=TODAY)


@pytest.mark.parametrize(("number", "expected"), APPENDIX_A_INVALID_ID)
def test_appendix_a_invalid_resident_id(number: str, expected: str) -> None:
    assert error_code(parse_resident_id, number, today=TODAY) == expected
    assert not is_valid_resident_id(number, today=TODAY)


def test_id6_appendix_1900_0229_has_a_correct_check_digit() -> None:
    """The 1900-02-29 vector fails only on the date, not the check (ID-6 vs ID-7)."""
    assert resident_id_check_char("11010519000229123") == "9"


# --- USCC: ID-1…ID-5 ----------------------------------------------------------------------------------------------


def test_id2_alphabet_has_31_characters_without_i_o_z_s_v() -> None:
    assert len(USCC_ALPHABET) == len(set(USCC_ALPHABET)) == 31
    assert not set("IOZSV") & set(USCC_ALPHABET)


def test_id3_check_uses_the_documented_weights() -> None:
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    for position, weight in enumerate(weights):
        first17 = "".join("1" if i == position else "0" for i in range(17))
        assert uscc_check_char(first17) == USCC_ALPHABET[(31 - weight) % 31]


def test_id1_parts_are_split_by_position() -> None:
    result = parse_uscc("91510100MA00000077")
    assert (result.registration_authority, result.category) == ("9", "1")
    assert result.region_code == "510100"
    assert result.organization_code == "MA0000007"
    assert result.registration_authority_label == "工商/市场监管"
    assert result.category_label == "企业"


def test_id4_bad_embedded_organization_code_is_only_a_warning() -> None:
    code = make_uscc("91510100MA0000008")  # org-code check char should be 7
    result = parse_uscc(code)
    assert result.warning_codes == (WARNING_ORG_CODE_CHECK,)
    assert "组织机构代码" in result.warnings[0]
    assert is_valid_uscc(code)
    validate_uscc_field(code)  # a warning never blocks saving


@pytest.mark.parametrize(
    ("first8", "expected"),
    [("MA000000", "7"), ("40000000", "X"), ("50000000", "7"), ("MA5F0000", "X"), ("D2143569", "X")],
)
def test_id4_organization_code_check_char(first8: str, expected: str) -> None:
    assert organization_code_check_char(first8) == expected


def test_id4_check_value_11_maps_to_zero() -> None:
    """C = 11 - (S mod 11) = 11 when S mod 11 == 0 → '0'."""
    assert organization_code_check_char("00000000") == "0"


@pytest.mark.parametrize(
    ("prefix", "authority_label", "category_label"),
    [
        ("11", "机构编制", "机关"),
        ("12", "机构编制", "事业单位"),
        ("51", "民政", "社会团体"),
        ("52", "民政", "民办非企业单位"),
        ("53", "民政", "基金会"),
        ("91", "工商/市场监管", "企业"),
        ("92", "工商/市场监管", "个体工商户"),
        ("93", "工商/市场监管", "农民专业合作社"),
        ("A1", "中央军委改革和编制办公室", "军队事业单位"),
        ("N2", "农业", "村级集体经济组织"),
        ("Y1", "其他", "其他（不再细分）"),
    ],
)
def test_id5_authority_and_category_labels(prefix: str, authority_label: str, category_label: str) -> None:
    result = parse_uscc(make_uscc(prefix + "510100MA0000007"))
    assert result.registration_authority_label == authority_label
    assert result.category_label == category_label
    assert WARNING_UNKNOWN_AUTHORITY not in result.warning_codes
    assert WARNING_UNKNOWN_CATEGORY not in result.warning_codes


def test_id5_table_is_complete_for_the_rules_codes() -> None:
    assert set("123456789ANY") <= set(REGISTRATION_AUTHORITIES)
    assert set(ORGANIZATION_CATEGORIES) == set(REGISTRATION_AUTHORITIES)
    assert all(set(code) <= set(USCC_ALPHABET) for code in REGISTRATION_AUTHORITIES)


def test_id5_unknown_authority_and_category_are_warnings() -> None:
    unknown_authority = parse_uscc(make_uscc("B1510100MA0000007"))
    assert unknown_authority.warning_codes == (WARNING_UNKNOWN_AUTHORITY,)
    assert unknown_authority.registration_authority_label is None
    unknown_category = parse_uscc(make_uscc("97510100MA0000007"))
    assert unknown_category.warning_codes == (WARNING_UNKNOWN_CATEGORY,)
    assert unknown_category.category_label is None


def test_id5_letters_allowed_in_positions_1_to_8() -> None:
    """Positions 1-2 and 3-8 may hold letters of the USCC alphabet; do not validate them as digits only."""
    result = parse_uscc(make_uscc("NAXY0000MA0000007"))
    assert result.region_code == "XY0000"
    assert is_valid_uscc(make_uscc("Y1AB12CDMA0000007"))


@pytest.mark.parametrize("letter", list("IOZSV"))
@pytest.mark.parametrize("position", [0, 1, 5, 10, 17])
def test_id2_letters_i_o_z_s_v_rejected(letter: str, position: int) -> None:
    code = "91510100MA00000077"
    bad = code[:position] + letter + code[position + 1 :]
    with pytest.raises(IdentifierError) as info:
        parse_uscc(bad)
    assert info.value.code == "uscc_char"
    assert f"第{position + 1}位" in info.value.message


@pytest.mark.parametrize(("code", "expected"), [("", "empty"), ("   ", "empty"), ("9151010", "uscc_length")])
def test_id1_empty_and_wrong_length(code: str, expected: str) -> None:
    assert error_code(parse_uscc, code) == expected


def test_id1_too_long_rejected() -> None:
    assert error_code(parse_uscc, "91510100MA000000770") == "uscc_length"


@pytest.mark.parametrize("body", ["00000000000000000", "11111111111111111", "YYYYYYYYYYYYYYYYY"])
def test_id10_placeholders_rejected_even_with_correct_check(body: str) -> None:
    assert error_code(parse_uscc, make_uscc(body)) == "placeholder"


# --- Normalisation ------------------------------------------------------------------------------------------------


def test_normalize_identifier_nfkc_strip_upper() -> None:
    assert normalize_identifier("\u3000 ９１５１０１００ｍａ００００００７７\t\n") == "91510100MA00000077"
    assert normalize_identifier("11010519491231002ｘ") == "11010519491231002X"


def test_id_inner_whitespace_rejected_with_clear_message() -> None:
    for raw in ("9151 0100MA00000077", "91510100MA0000\u30000077", "110105 19491231002X"):
        parser = parse_uscc if raw.startswith("9") else parse_resident_id
        with pytest.raises(IdentifierError) as info:
            parser(raw)
        assert info.value.code == "inner_whitespace"
        assert "空格" in info.value.message


def test_id2_lowercase_and_full_width_uscc_canonicalised() -> None:
    assert parse_uscc("91510100ma00000077").canonical == "91510100MA00000077"
    assert parse_uscc(full_width("92440300ma5f0000xx")).canonical == "92440300MA5F0000XX"
    assert parse_uscc("  1210000040000000XN\u3000").canonical == "1210000040000000XN"


def test_invalid_character_message_names_invisible_characters() -> None:
    with pytest.raises(IdentifierError) as info:
        parse_uscc("91510100MA000000\u200b7")
    assert "U+200B" in info.value.message


# --- USCC properties ---------------------------------------------------------------------------------------------


@PROPERTY
@given(valid_usccs)
def test_id3_generated_valid_usccs_accepted(code: str) -> None:
    result = parse_uscc(code)
    assert result.canonical == code
    assert result.region_code == code[2:8] and result.organization_code == code[8:17]


@PROPERTY
@given(valid_usccs, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_id3_single_substitution_within_alphabet_rejected(code: str, position: int, replacement: str) -> None:
    if replacement == code[position]:
        replacement = USCC_ALPHABET[(USCC_ALPHABET.index(replacement) + 1) % 31]
    mutated = code[:position] + replacement + code[position + 1 :]
    assert error_code(parse_uscc, mutated) in {"uscc_check", "placeholder"}


@PROPERTY
@given(valid_usccs, st.integers(min_value=0, max_value=17), st.characters())
def test_id3_any_single_substitution_rejected(code: str, position: int, replacement: str) -> None:
    """Any character that does not normalise to the original one breaks the code."""
    if unicodedata.normalize("NFKC", replacement).upper() == code[position]:
        return
    mutated = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_uscc(mutated)


@PROPERTY
@given(valid_usccs)
def test_id2_full_width_uscc_accepted_and_canonicalised(code: str) -> None:
    assert parse_uscc(full_width(code)).canonical == code
    assert parse_uscc(full_width(code.lower())).canonical == code


@PROPERTY
@given(valid_usccs)
def test_id2_lowercase_uscc_accepted(code: str) -> None:
    assert parse_uscc(code.lower()).canonical == code


@PROPERTY
@given(uscc_first17, st.sampled_from(USCC_ALPHABET))
def test_id3_bad_check_character_rejected(first17: str, check: str) -> None:
    if check == uscc_check_char(first17):
        return
    assert error_code(parse_uscc, first17 + check) == "uscc_check"


@PROPERTY
@given(valid_usccs, st.integers(min_value=0, max_value=17), st.sampled_from("IOZSVioszv"))
def test_id2_i_o_z_s_v_anywhere_rejected(code: str, position: int, letter: str) -> None:
    assert error_code(parse_uscc, code[:position] + letter + code[position + 1 :]) == "uscc_char"


# --- Garbage never crashes ---------------------------------------------------------------------------------------

garbage = st.one_of(
    st.text(),
    st.text(alphabet=USCC_ALPHABET + "IOSVZxa-. \u3000０１９Ｘｘ\u200b\u0301", max_size=20),
    st.text(alphabet="0123456789Xx", min_size=14, max_size=19),
)


@PROPERTY
@given(garbage)
def test_garbage_only_identifier_error_or_success(raw: str) -> None:
    for parse in (parse_uscc, lambda value: parse_resident_id(value, today=TODAY)):
        try:
            parse(raw)
        except IdentifierError as exc:
            assert exc.code and exc.message
    assert isinstance(is_valid_uscc(raw), bool)
    assert isinstance(is_valid_resident_id(raw, today=TODAY), bool)


@PROPERTY
@given(garbage)
def test_garbage_django_validators_raise_only_validation_error(raw: str) -> None:
    for validator in (validate_uscc_field, validate_resident_id_field):
        try:
            validator(raw)
        except ValidationError as exc:
            assert exc.code


# --- Resident ID: ID-6…ID-10 --------------------------------------------------------------------------------------


def test_id7_weights_and_check_table() -> None:
    """MOD 11-2 weights 2^(18-i) mod 11; check chars '10X98765432'."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    assert [pow(2, 18 - i, 11) for i in range(1, 18)] == weights
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"


def test_id7_lowercase_x_accepted_but_canonical_uses_upper_x() -> None:
    result = parse_resident_id("11010519491231002x", today=TODAY)
    assert result.canonical == "11010519491231002X"
    assert result.original == "11010519491231002X"


def test_id6_full_width_resident_id_accepted() -> None:
    assert parse_resident_id(full_width("11010519491231002x"), today=TODAY).canonical == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("", "empty"),
        ("1101051949123100", "id_length"),
        ("11010519491231002XX", "id_length"),
        ("1101051949123100X2", "id_char"),
        ("11010519491231002Y", "id_char"),
        ("11010519491231X02X", "id_char"),
        ("11010519491231X02", "id_length"),
        ("11010549123100X", "id_char"),
        ("000000000000000000", "placeholder"),
        ("00000000000000000X", "placeholder"),
        ("000000000000000", "placeholder"),
        ("111111111111111111", "placeholder"),
    ],
)
def test_id6_format_errors(number: str, expected: str) -> None:
    assert error_code(parse_resident_id, number, today=TODAY) == expected


@pytest.mark.parametrize("region", ["000105", "990105", "190105", "810101", "840000"])
def test_id6_unknown_address_code_rejected(region: str) -> None:
    assert error_code(parse_resident_id, make_resident_id(region, date(1990, 1, 1), "123"), today=TODAY) == "id_region"


@pytest.mark.parametrize("month_day", ["0001", "1301", "0100", "0132", "0431", "0230"])
def test_id6_impossible_birth_dates_rejected(month_day: str) -> None:
    first17 = f"1101051990{month_day}123"
    assert error_code(parse_resident_id, first17 + resident_id_check_char(first17), today=TODAY) == "id_birth_date"


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_id9_hk_mo_tw_residence_permits_accepted_and_flagged(region: str) -> None:
    number = make_resident_id(region, date(1985, 7, 1), "002")
    result = parse_resident_id(number, today=TODAY)
    assert result.is_hk_mo_tw_permit
    assert result.region_code == region
    assert result.sex == "female"
    assert error_code(parse_resident_id, number[:17] + ("1" if number[17] != "1" else "2"), today=TODAY) == "id_check"


def test_id8_legacy_15_digit_converted_and_original_kept() -> None:
    result = parse_resident_id("110105491231002", today=TODAY)
    assert result.canonical == "11010519491231002X"
    assert result.original == "110105491231002"
    assert result.is_legacy_15
    assert result.birth_date == date(1949, 12, 31)
    assert result.sex == "female"


def test_id6_birth_today_accepted_tomorrow_rejected() -> None:
    assert parse_resident_id(make_resident_id("110105", TODAY, "001"), today=TODAY).birth_date == TODAY
    tomorrow = make_resident_id("110105", TODAY + timedelta(days=1), "001")
    assert error_code(parse_resident_id, tomorrow, today=TODAY) == "id_future_birth"


def test_id6_default_today_is_used() -> None:
    assert is_valid_resident_id("11010519491231002X")
    assert error_code(parse_resident_id, make_resident_id("110105", date(2099, 1, 1), "001")) == "id_future_birth"


# --- Resident ID properties --------------------------------------------------------------------------------------


@PROPERTY
@given(resident_ids())
def test_id6_generated_valid_ids_accepted(number: str) -> None:
    result = parse_resident_id(number, today=TODAY)
    assert result.canonical == number
    assert result.birth_date.strftime("%Y%m%d") == number[6:14]
    assert result.sex == ("male" if int(number[16]) % 2 else "female")
    assert not result.is_legacy_15 and not result.is_hk_mo_tw_permit


@PROPERTY
@given(resident_ids(), st.integers(min_value=0, max_value=17), digits)
def test_id7_single_digit_substitution_rejected(number: str, position: int, replacement: str) -> None:
    if replacement == number[position]:
        return
    assert not is_valid_resident_id(number[:position] + replacement + number[position + 1 :], today=TODAY)


@PROPERTY
@given(resident_ids())
def test_id7_bad_check_character_rejected(number: str) -> None:
    for check in "0123456789X":
        if check != number[17]:
            assert error_code(parse_resident_id, number[:17] + check, today=TODAY) == "id_check"


@PROPERTY
@given(resident_ids())
def test_id7_full_width_and_lowercase_accepted(number: str) -> None:
    assert parse_resident_id(full_width(number.lower()), today=TODAY).canonical == number
    assert parse_resident_id(f" {number.lower()}\u3000", today=TODAY).canonical == number


@PROPERTY
@given(resident_ids(min_birth=date(1900, 1, 1), max_birth=date(1999, 12, 31)))
def test_id8_15_digit_round_trip(number: str) -> None:
    legacy = number[:6] + number[8:17]
    result = parse_resident_id(legacy, today=TODAY)
    assert result.canonical == number
    assert result.original == legacy
    assert result.is_legacy_15
    assert result.sex == parse_resident_id(number, today=TODAY).sex


@PROPERTY
@given(st.integers(min_value=1800, max_value=TODAY.year), st.sampled_from(sorted(MAINLAND_PROVINCE_CODES)))
def test_id6_february_29_only_in_leap_years(year: int, province: str) -> None:
    first17 = f"{province}0105{year}0229123"
    number = first17 + resident_id_check_char(first17)
    if calendar.isleap(year):
        assert parse_resident_id(number, today=TODAY).birth_date == date(year, 2, 29)
    else:
        assert error_code(parse_resident_id, number, today=TODAY) == "id_birth_date"


@PROPERTY
@given(resident_ids(min_birth=TODAY + timedelta(days=1), max_birth=date(2999, 12, 31)))
def test_id6_future_birth_dates_rejected(number: str) -> None:
    assert error_code(parse_resident_id, number, today=TODAY) == "id_future_birth"


# --- Helpers reject bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "9151010", "91510100MA0000007I", "91510100ma0000007", "915101００MA0000007"])
def test_uscc_check_char_requires_17_canonical_characters(bad: str) -> None:
    with pytest.raises(ValueError):
        uscc_check_char(bad)


@pytest.mark.parametrize("bad", ["", "1101051949123100", "1101051949123100X", "１1010519491231002"])
def test_resident_id_check_char_requires_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        resident_id_check_char(bad)


def test_identifier_error_is_a_value_error() -> None:
    exc = IdentifierError("统一社会信用代码校验码不正确", code="uscc_check")
    assert isinstance(exc, ValueError)
    assert str(exc) == exc.message
    assert exc.code == "uscc_check"


# --- age_on (CASE-19) -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2010, 5, 1), date(2010, 5, 1), 0),
        (date(2010, 5, 1), date(2011, 5, 1), 0),
        (date(2010, 5, 1), date(2011, 5, 2), 1),
        (date(2010, 5, 1), date(2024, 5, 1), 13),  # the 14th birthday itself: still 13
        (date(2010, 5, 1), date(2024, 5, 2), 14),
        (date(2006, 5, 1), date(2024, 5, 1), 17),
        (date(2006, 5, 1), date(2024, 5, 2), 18),
        (date(2010, 5, 1), date(2024, 4, 30), 13),
        (date(2008, 2, 29), date(2009, 2, 28), 0),  # common year: birthday falls on 28 February
        (date(2008, 2, 29), date(2009, 3, 1), 1),
        (date(2008, 2, 29), date(2012, 2, 29), 3),
        (date(2008, 2, 29), date(2012, 3, 1), 4),
        (date(1999, 12, 31), date(2000, 1, 1), 0),
        (date(1999, 12, 31), date(2001, 1, 1), 1),
    ],
)
def test_case19_age_reached_on_the_day_after_the_birthday(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_case19_age_before_birth_rejected() -> None:
    with pytest.raises(ValueError):
        age_on(date(2010, 5, 1), date(2010, 4, 30))


@PROPERTY
@given(st.dates(max_value=date(2100, 1, 1)), st.integers(min_value=0, max_value=40000))
def test_case19_age_is_monotonic_and_close_to_calendar_years(birth: date, days: int) -> None:
    day = birth + timedelta(days=days)
    age = age_on(birth, day)
    assert age >= 0
    assert age_on(birth, day + timedelta(days=1)) in (age, age + 1)
    assert day.year - birth.year - 1 <= age <= day.year - birth.year


# --- Django validators ---------------------------------------------------------------------------------------------


def test_validate_uscc_field_accepts_canonical_value() -> None:
    validate_uscc_field("91510100MA00000077")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91510100MA00000078", "uscc_check"),
        ("91510100MA0000007I", "uscc_char"),
        ("9151010", "uscc_length"),
        ("00000000000000000X", "placeholder"),
        ("91510100ma00000077", "not_normalized"),
        (full_width("91510100MA00000077"), "not_normalized"),
        (" 91510100MA00000077", "not_normalized"),
    ],
)
def test_validate_uscc_field_rejects(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_uscc_field(value)
    assert info.value.code == code
    assert "统一社会信用代码" in info.value.message or "规范格式" in info.value.message


def test_validate_uscc_field_not_normalized_message_shows_canonical_form() -> None:
    with pytest.raises(ValidationError) as info:
        validate_uscc_field("91510100ma00000077")
    assert "91510100MA00000077" in info.value.message


@pytest.mark.parametrize("value", ["11010519491231002X", "110105491231002", "440524188001010014"])
def test_validate_resident_id_field_accepts(value: str) -> None:
    validate_resident_id_field(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("11010519491231002x", "not_normalized"),
        ("510104199001010010", "id_check"),
        ("110105190002291239", "id_birth_date"),
        ("1101 0519491231002X", "inner_whitespace"),
    ],
)
def test_validate_resident_id_field_rejects(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_resident_id_field(value)
    assert info.value.code == code
