"""The override tables, their services and selectors, and the database-backed calendar cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from zhifa.workdays.calendar import Direction, invalidate_calendar_cache, load_calendar
from zhifa.workdays.models import CalendarOverride, CalendarYear
from zhifa.workdays.selectors import calendar_overrides_list, calendar_years_list
from zhifa.workdays.services import calendar_override_create, calendar_year_mark_official

pytestmark = pytest.mark.django_db

AGENCY = Direction.AGENCY_OBLIGATION
HOLIDAY = CalendarOverride.Kind.HOLIDAY
MAKEUP = CalendarOverride.Kind.MAKEUP_WORKDAY
LOCAL = CalendarOverride.Kind.LOCAL_HOLIDAY
DOC = "国办发明电〔2026〕X号"
User = get_user_model()


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


@pytest.fixture
def admin() -> Any:
    user = User.objects.create_user(username="sysadmin", password="x-Very-long-pw-1", full_name="系统管理员")
    user.roles.create(role="system_admin")
    return user


@pytest.fixture
def officer() -> Any:
    user = User.objects.create_user(username="officer", password="x-Very-long-pw-2", full_name="执法人员")
    user.roles.create(role="officer")
    return user


def create(actor: Any, day: date, kind: str = HOLIDAY, name: str = "国庆节", region_code: str = "",
           source_document: str = DOC) -> CalendarOverride:
    return calendar_override_create(actor=actor, date=day, kind=kind, region_code=region_code, name=name,
                                    source_document=source_document)


def enter_plausible_2027_notice(admin: Any) -> None:
    """A made-up 2027 arrangement (the real notice is not out): blocks around every statutory day."""
    blocks = {
        "元旦": (date(2027, 1, 1), date(2027, 1, 3)),
        "春节": (date(2027, 2, 5), date(2027, 2, 13)),
        "清明节": (date(2027, 4, 3), date(2027, 4, 5)),
        "劳动节": (date(2027, 5, 1), date(2027, 5, 5)),
        "端午节": (date(2027, 6, 9), date(2027, 6, 9)),
        "中秋节": (date(2027, 9, 15), date(2027, 9, 15)),
        "国庆节": (date(2027, 10, 1), date(2027, 10, 7)),
    }
    for name, (first, last) in blocks.items():
        for i in range((last - first).days + 1):
            create(admin, first + timedelta(days=i), HOLIDAY, name)
    for day, name in [(date(2027, 2, 20), "春节"), (date(2027, 5, 8), "劳动节"), (date(2027, 9, 26), "国庆节"),
                      (date(2027, 10, 9), "国庆节")]:
        create(admin, day, MAKEUP, name)


# --- permissions and validation --------------------------------------------------------------------------------


def test_only_system_admins_edit_the_calendar(officer: Any) -> None:
    with pytest.raises(PermissionDenied):
        create(officer, date(2026, 10, 9))
    with pytest.raises(PermissionDenied):
        calendar_year_mark_official(actor=officer, year=2027, source_document=DOC)
    assert not CalendarOverride.objects.exists() and not CalendarYear.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"kind": LOCAL}, "region_code", "地方节假日须填写"),
        ({"region_code": "53342"}, "region_code", "6位数字"),
        ({"source_document": "  "}, "source_document", "发文字号"),
        ({"name": ""}, "name", "名称"),
        ({"kind": "weekend"}, "kind", "未知的类型"),
        ({"kind": MAKEUP, "day": date(2026, 3, 4)}, "date", "本来就是工作日"),  # an ordinary Wednesday
        ({"kind": MAKEUP, "day": date(2026, 10, 10)}, "date", "本来就是工作日"),  # already a make-up Saturday
        ({"day": date(1900, 1, 1)}, "date", "之间"),
    ],
)
def test_override_validation(admin: Any, kwargs: dict[str, Any], field: str, message: str) -> None:
    day = kwargs.pop("day", date(2026, 10, 9))
    with pytest.raises(ValidationError) as excinfo:
        create(admin, day, **kwargs)
    assert any(message in m for m in excinfo.value.message_dict[field])
    assert not CalendarOverride.objects.exists()


def test_duplicate_override_is_a_validation_error(admin: Any) -> None:
    create(admin, date(2026, 10, 9))
    with pytest.raises(ValidationError) as excinfo:
        create(admin, date(2026, 10, 9), name="另一条")
    assert "已有" in excinfo.value.message_dict["date"][0]
    # The same date for a region is a different row.
    create(admin, date(2026, 10, 9), LOCAL, "地方节日", region_code="533423")
    assert CalendarOverride.objects.count() == 2


def test_database_refuses_a_local_holiday_without_region(admin: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarOverride.objects.create(date=date(2026, 3, 3), kind=LOCAL, name="x", source_document=DOC)


def test_override_records_who_and_where_from(admin: Any) -> None:
    row = create(admin, date(2026, 10, 9), source_document=" 国办发明电〔2026〕X号 ")
    assert row.created_by == admin and row.source_document == DOC and row.created_at is not None
    assert str(row) == "2026-10-09 放假 国庆节（全国）"


# --- the loaded calendar ---------------------------------------------------------------------------------------


def test_override_wins_in_the_loaded_calendar(admin: Any) -> None:
    before = load_calendar()
    assert before.is_workday(date(2026, 10, 9))
    assert before.add_working_days(date(2026, 10, 8), 1, direction=AGENCY).due == date(2026, 10, 9)
    create(admin, date(2026, 10, 9))
    after = load_calendar()
    assert not after.is_workday(date(2026, 10, 9))
    assert after.add_working_days(date(2026, 10, 8), 1, direction=AGENCY).due == date(2026, 10, 10)  # make-up Sat


def test_regional_holiday_only_in_its_region(admin: Any) -> None:
    kuoshi = date(2026, 12, 21)  # a Monday
    create(admin, kuoshi, LOCAL, "阔时节", region_code="533423", source_document="维西县人民政府通知")
    assert not load_calendar("533423").is_workday(kuoshi)
    assert load_calendar("533423").day_info(kuoshi).reason == "阔时节"
    assert load_calendar().is_workday(kuoshi)
    assert load_calendar("530100").is_workday(kuoshi)
    with pytest.raises(ValueError):
        load_calendar("5334")


def test_2027_becomes_official_once_the_notice_is_entered(admin: Any) -> None:
    start = date(2027, 9, 30)
    provisional = load_calendar().add_working_days(start, 3, direction=AGENCY)
    assert provisional.provisional

    with pytest.raises(ValidationError) as excinfo:  # nothing entered yet: refuse, never Mon–Fri only
        calendar_year_mark_official(actor=admin, year=2027, source_document=DOC)
    assert "元旦（1月1日）" in excinfo.value.message_dict["year"][0]
    assert not CalendarYear.objects.exists()

    enter_plausible_2027_notice(admin)
    assert load_calendar().add_working_days(start, 3, direction=AGENCY).provisional  # entered, not yet official
    record = calendar_year_mark_official(actor=admin, year=2027, source_document=DOC)
    assert record.status == CalendarYear.Status.OFFICIAL and record.loaded_by == admin
    assert record.loaded_at is not None

    official = load_calendar().add_working_days(start, 3, direction=AGENCY)
    assert not official.provisional
    assert official.due == date(2027, 10, 11)  # Fri 10-8, make-up Sat 10-9, Mon 10-11
    assert load_calendar().is_workday(date(2027, 9, 26))  # make-up Sunday
    assert not load_calendar().is_workday(date(2027, 2, 12))  # Friday inside 春节
    # 2028 is still unknown.
    assert load_calendar().add_working_days(date(2027, 12, 30), 3, direction=AGENCY).provisional


def test_marking_again_updates_the_year(admin: Any) -> None:
    calendar_year_mark_official(actor=admin, year=2026, source_document=DOC)  # package year: no check needed
    calendar_year_mark_official(actor=admin, year=2026, source_document="国办发明电〔2025〕7号")
    assert CalendarYear.objects.get(year=2026).source_document == "国办发明电〔2025〕7号"


def test_regional_year_does_not_make_the_nation_official(admin: Any) -> None:
    calendar_year_mark_official(actor=admin, year=2027, source_document="维西县通知", region_code="533423")
    assert not load_calendar("533423").is_official_year(2027)
    with pytest.raises(ValidationError):
        calendar_year_mark_official(actor=admin, year=1800, source_document=DOC)


# --- cache -----------------------------------------------------------------------------------------------------


def test_cache_costs_one_generation_check(admin: Any, django_assert_num_queries: Any) -> None:
    first = load_calendar()
    with django_assert_num_queries(2):
        assert load_calendar() is first


def test_cache_notices_writes_that_bypass_the_services(admin: Any) -> None:
    first = load_calendar()
    row = CalendarOverride.objects.create(date=date(2026, 10, 9), kind=HOLIDAY, name="国庆节", source_document=DOC)
    second = load_calendar()
    assert second is not first and not second.is_workday(date(2026, 10, 9))
    row.delete()
    assert load_calendar().is_workday(date(2026, 10, 9))


# --- selectors -------------------------------------------------------------------------------------------------


def test_selectors_filter_by_year_and_region(admin: Any) -> None:
    create(admin, date(2026, 10, 9))
    create(admin, date(2026, 12, 21), LOCAL, "阔时节", region_code="533423")
    create(admin, date(2027, 1, 1), HOLIDAY, "元旦")
    assert [r.date for r in calendar_overrides_list()] == [date(2026, 10, 9), date(2026, 12, 21), date(2027, 1, 1)]
    assert [r.date for r in calendar_overrides_list(year=2026)] == [date(2026, 10, 9), date(2026, 12, 21)]
    assert [r.date for r in calendar_overrides_list(region_code="533423")] == [date(2026, 12, 21)]
    assert [r.date for r in calendar_overrides_list(year=2026, region_code="")] == [date(2026, 10, 9)]
    calendar_year_mark_official(actor=admin, year=2026, source_document=DOC)
    assert [y.year for y in calendar_years_list()] == [2026]
