"""The 双公示 export (rules.md §7.8, ADR 0040): DS-1/DS-2 columns and codes, DS-5 万元 exact, DS-7 refusals with the
field named, DS-9 placeholder warning, formula injection neutralised in CSV and XLSX, agency scoping, the staff page
and the API end to end with the 调阅 entry."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.test import Client

from zhifa.accounts.services import api_token_create
from zhifa.cases.testing import make_case_world, new_penalty_case, org_party, walk_to
from zhifa.common.identifiers import uscc_check_char
from zhifa.disclosure.dualpub.export import BOM, csv_bytes, neutralize, xlsx_bytes
from zhifa.disclosure.dualpub.records import (
    LICENCE_COLUMNS,
    PENALTY_COLUMNS,
    LicenceRecord,
    PenaltyRecord,
    to_wanyuan,
)
from zhifa.disclosure.dualpub.selectors import penalty_rows_for
from zhifa.disclosure.dualpub.validate import PenaltyRules, refused, validate_licence, validate_penalty
from zhifa.records.models import LedgerEntry

DS1_CODES = ["CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_XDR_GSZC", "CF_XDR_ZZJG", "CF_XDR_SWDJ", "CF_XDR_SYDW",
             "CF_XDR_SHZZ", "CF_FRDB", "CF_FR_ZJLX", "CF_FR_ZJHM", "CF_XDR_ZJLX", "CF_XDR_ZJHM", "CF_WSH", "CF_WFXW",
             "CF_SY", "CF_YJ", "CF_CFLB", "CF_NR", "CF_NR_FK", "CF_NR_WFFF", "CF_NR_ZKDX", "CF_JDRQ", "CF_YXQ",
             "CF_GSJZQ", "CF_CFJG", "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM", "BZ"]
DS2_CODES = ["XK_XDR_MC", "XK_XDR_LB", "XK_XDR_SHXYM", "XK_XDR_GSZC", "XK_XDR_ZZJG", "XK_XDR_SWDJ", "XK_XDR_SYDW",
             "XK_XDR_SHZZ", "XK_FRDB", "XK_FR_ZJLX", "XK_FR_ZJHM", "XK_XDR_ZJLX", "XK_XDR_ZJHM", "XK_XKWS", "XK_WSH",
             "XK_XKLB", "XK_XKZS", "XK_XKBH", "XK_NR", "XK_JDRQ", "XK_YXQZ", "XK_YXQZI", "XK_XKJG", "XK_XKJGDM",
             "XK_ZT", "XK_LYDW", "XK_LYDWDM", "BZ"]


def uscc(body: str = "91430682MA4L00001") -> str:
    return body + uscc_check_char(body)


AGENCY_USCC = uscc("11430682MB1234567")


def good_org() -> PenaltyRecord:
    return PenaltyRecord(
        CF_XDR_MC="临湘市河口砂石有限公司", CF_XDR_LB="法人及非法人组织", CF_XDR_SHXYM=uscc(), CF_FRDB="李四",
        CF_WSH="临水罚决〔2026〕3号", CF_WFXW="未经批准在河道管理范围内采砂", CF_SY="当事人未经许可采砂。",
        CF_YJ="《中华人民共和国水法》第六十五条第一款", CF_CFLB="罚款", CF_NR="罚款人民币12345.67元",
        CF_NR_FK=to_wanyuan(Decimal("12345.67")), CF_JDRQ="2026-06-15", CF_YXQ="2099-12-31",
        CF_CFJG="临湘市水利局", CF_CFJGDM=AGENCY_USCC, CF_SJLY="临湘市水利局", CF_SJLYDM=AGENCY_USCC)


def good_person() -> PenaltyRecord:
    return replace(good_org(), CF_XDR_MC="张三", CF_XDR_LB="自然人", CF_XDR_SHXYM="", CF_FRDB="",
                   CF_XDR_ZJLX="01", CF_XDR_ZJHM="430682198005010011")


# ------------------------------------------------------------------------------------------------ DS-1, DS-2


def test_ds1_penalty_columns_and_codes_in_order() -> None:
    assert [c.code for c in PENALTY_COLUMNS] == DS1_CODES
    labels = {c.code: c.label for c in PENALTY_COLUMNS}
    assert labels["CF_XDR_MC"] == "行政相对人名称"
    assert labels["CF_NR_FK"] == "罚款金额（万元）"
    assert labels["CF_CFJGDM"] == "处罚机关统一社会信用代码"
    assert labels["BZ"] == "备注"


def test_ds2_licence_columns_and_codes_in_order() -> None:
    assert [c.code for c in LICENCE_COLUMNS] == DS2_CODES
    assert [f.name for f in fields(LicenceRecord)] == DS2_CODES


# ------------------------------------------------------------------------------------------------ DS-5


@pytest.mark.parametrize(("yuan", "wanyuan"), [
    ("12345.67", "1.234567"), ("2000", "0.2"), ("2000.00", "0.2"), ("10000", "1"), ("0.01", "0.000001"),
    ("123456789012.34", "12345678.901234"), ("0", "0"), ("500.50", "0.05005"),
])
def test_ds5_wanyuan_exact_decimal_trailing_zeros_trimmed(yuan: str, wanyuan: str) -> None:
    assert to_wanyuan(Decimal(yuan)) == wanyuan


def test_ds5_refuses_float_and_sub_fen_precision() -> None:
    with pytest.raises(TypeError):
        to_wanyuan(12345.67)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="DS-5"):
        to_wanyuan(Decimal("0.001"))
    assert to_wanyuan(None) == ""


# ------------------------------------------------------------------------------------------------ DS-7, DS-9


def test_ds7_complete_records_pass() -> None:
    assert validate_penalty(good_org()) == []
    assert validate_penalty(good_person()) == []


ALWAYS = ["CF_XDR_MC", "CF_XDR_LB", "CF_WSH", "CF_WFXW", "CF_SY", "CF_YJ", "CF_CFLB", "CF_NR", "CF_JDRQ", "CF_YXQ",
          "CF_CFJG", "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM"]


@pytest.mark.parametrize("code", ALWAYS)
def test_ds7_each_always_required_omission_refused_with_field_named(code: str) -> None:
    problems = validate_penalty(replace(good_org(), **{code: ""}))
    assert refused(problems)
    label = {c.code: c.label for c in PENALTY_COLUMNS}[code]
    assert any(p.code == code and label in p.message and code in p.message for p in problems), problems


@pytest.mark.parametrize(("base", "code", "extra"), [
    ("org", "CF_XDR_SHXYM", {}), ("org", "CF_FRDB", {}),
    ("sole", "CF_XDR_SHXYM", {}), ("sole", "CF_FRDB", {}),
    ("person", "CF_XDR_ZJLX", {}), ("person", "CF_XDR_ZJHM", {}),
    ("org", "CF_NR_FK", {}),
    ("org", "CF_NR_WFFF", {"CF_CFLB": "没收违法所得"}),
    ("org", "CF_NR_WFFF", {"CF_CFLB": "罚款;没收非法财物"}),
    ("org", "CF_NR_ZKDX", {"CF_CFLB": "吊销许可证件"}),
    ("org", "CF_NR_ZKDX", {"CF_CFLB": "暂扣许可证件"}),
])
def test_ds7_each_conditional_omission_refused_with_field_named(base: str, code: str, extra: dict[str, str]) -> None:
    record = {"org": good_org(), "person": good_person(),
              "sole": replace(good_org(), CF_XDR_LB="个体工商户")}[base]
    record = replace(record, **{"CF_NR_FK": record.CF_NR_FK, **extra, code: ""})
    problems = validate_penalty(record)
    label = {c.code: c.label for c in PENALTY_COLUMNS}[code]
    assert refused(problems)
    assert [p for p in problems if not p.warning] and all(p.code == code for p in problems if not p.warning)
    assert any(label in p.message for p in problems)


def test_ds7_flags_are_configurable() -> None:
    record = replace(good_person(), CF_XDR_ZJHM="")
    assert refused(validate_penalty(record))
    assert validate_penalty(record, PenaltyRules(person_needs_id=False)) == []


@pytest.mark.parametrize("code", ["CF_XDR_SHXYM", "CF_CFJGDM", "CF_SJLYDM"])
def test_ds7_invalid_uscc_check_character_refused(code: str) -> None:
    good = getattr(good_org(), code)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    problems = validate_penalty(replace(good_org(), **{code: bad}))
    assert refused(problems)
    assert any(p.code == code and "校验码" in p.message and code in p.message for p in problems)


def test_ds9_placeholder_uscc_accepted_in_export_with_warning() -> None:
    problems = validate_penalty(replace(good_org(), CF_XDR_SHXYM="00000000000000000X"))
    assert not refused(problems)
    assert [p.code for p in problems if p.warning] == ["CF_XDR_SHXYM"]


def test_ds7_licence_always_required_and_codes() -> None:
    good = LicenceRecord(XK_XDR_MC="临湘市河口砂石有限公司", XK_XDR_LB="法人及非法人组织", XK_XDR_SHXYM=uscc(),
                         XK_FRDB="李四", XK_XKLB="01", XK_JDRQ="2026-06-15", XK_YXQZ="2026-06-15",
                         XK_YXQZI="2029-06-14", XK_XKJG="临湘市水利局", XK_XKJGDM=AGENCY_USCC, XK_ZT="1",
                         XK_LYDW="临湘市水利局", XK_LYDWDM=AGENCY_USCC)
    assert validate_licence(good) == []
    for code in ("XK_XKLB", "XK_JDRQ", "XK_YXQZ", "XK_YXQZI", "XK_XKJG", "XK_XKJGDM", "XK_ZT", "XK_LYDW",
                 "XK_LYDWDM"):
        problems = validate_licence(replace(good, **{code: ""}))
        assert refused(problems) and any(p.code == code for p in problems), code
    assert any(p.code == "XK_XKLB" for p in validate_licence(replace(good, XK_XKLB="07")))


# ------------------------------------------------------------------------------------------------ formula injection

EVIL = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")', "007", "0.200000"]


def test_csv_utf8_bom_quoted_and_formula_neutralised() -> None:
    body = csv_bytes(PENALTY_COLUMNS, [EVIL])
    assert body.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == DS1_CODES and rows[1][0] == "行政相对人名称"
    for cell in rows[2]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[2][:7] == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\t=1", "'\r=1", "'=HYPERLINK(\"http://x\",\"y\")"]
    assert rows[2][7:] == ["007", "0.200000"]  # codes and amounts as written: leading and trailing zeros kept
    assert neutralize("临湘") == "临湘"


def test_xlsx_every_cell_a_string_none_a_formula() -> None:
    body = xlsx_bytes(PENALTY_COLUMNS, [EVIL, good_org().row()])
    book = openpyxl.load_workbook(io.BytesIO(body))
    sheet = book.active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == DS1_CODES
    assert values[2][:len(EVIL)] == EVIL  # stored exactly, as text
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                assert cell.data_type == "s", (cell.coordinate, cell.value)
                assert isinstance(cell.value, str)
    assert values[3][DS1_CODES.index("CF_NR_FK")] == "1.234567"
    # the raw XML holds no formula element at all
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert sheet["A3"].quotePrefix


HIDDEN = ["\x00=1+1", "\uff1d1+1", "\uff0bSUM(A1)", "\uff0d1", "\uff20A1", "-500"]


def test_bi7_nul_and_full_width_formula_starts_neutralised_in_csv_and_xlsx() -> None:
    """BI-7: a NUL before "=" and WPS's full-width ＝ ＋ － ＠ are formula starts too; a negative fine in the 双公示 files
    is text like every DS field (DS-5 amounts are exact decimal text), never a formula."""
    rows = list(csv.reader(io.StringIO(csv_bytes(PENALTY_COLUMNS, [HIDDEN]).decode("utf-8-sig"))))
    assert rows[2][:len(HIDDEN)] == ["'=1+1", "'\uff1d1+1", "'\uff0bSUM(A1)", "'\uff0d1", "'\uff20A1", "'-500"]
    body = xlsx_bytes(PENALTY_COLUMNS, [HIDDEN])
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=3, max_row=3))[0][:len(HIDDEN)]
    assert [c.value for c in cells] == ["=1+1", "\uff1d1+1", "\uff0bSUM(A1)", "\uff0d1", "\uff20A1", "-500"]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml and "\x00" not in xml


# ------------------------------------------------------------------------------------------------ with the database

START, END = "2026-06-01", "2026-06-30"


@pytest.fixture
def world(agency_a):  # type: ignore[no-untyped-def]
    return make_case_world(agency_a)


@pytest.fixture
def decided(world):  # type: ignore[no-untyped-def]
    case = new_penalty_case(world, parties=[org_party(name="=HYPERLINK(\"http://evil\")砂石有限公司")])
    return walk_to(world, case, "decided", fine="123456.78")  # above the hearing threshold


def token_client(user: Any) -> Client:
    _row, token = api_token_create(user=user, name="dualpub test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def access_entries(action_prefix: str) -> list[LedgerEntry]:
    return [e for e in LedgerEntry.objects.filter(kind="access.read")
            if f'"action":"{action_prefix}'.encode() in bytes(e.canonical).replace(b'": "', b'":"')]


def test_ds1_selector_builds_record_from_decided_case(world, decided) -> None:  # type: ignore[no-untyped-def]
    rows = penalty_rows_for(user=world["disclosure_officer"], start=date(2026, 6, 1), end=date(2026, 6, 30))
    assert len(rows) == 1
    r = rows[0].record
    assert rows[0].problems == [], rows[0].problems
    assert r.CF_XDR_LB == "法人及非法人组织" and r.CF_FRDB == "李四"
    assert r.CF_NR_FK == "12.345678" and r.CF_CFLB == "罚款"
    assert r.CF_WSH and "罚决" in r.CF_WSH
    assert r.CF_JDRQ == "2026-06-15"
    assert r.CF_CFJG == world.agency.name and r.CF_CFJGDM == world.agency.uscc


def test_api_json_csv_xlsx_end_to_end_and_logged(world, decided) -> None:  # type: ignore[no-untyped-def]
    client = token_client(world["disclosure_officer"])
    body = client.get("/api/v1/disclosure/dualpub/penalties", {"start": START, "end": END}).json()
    assert [c["code"] for c in body["columns"]] == DS1_CODES
    assert len(body["records"]) == 1 and body["refused"] == []
    assert body["records"][0]["record"]["CF_NR_FK"] == "12.345678"
    xlsx = client.get("/api/v1/disclosure/dualpub/penalties", {"start": START, "end": END, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["X-Zhifa-Records"] == "1"
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    name = sheet.cell(row=3, column=1)
    assert name.data_type == "s" and name.value.startswith("=HYPERLINK")
    got = client.get("/api/v1/disclosure/dualpub/penalties", {"start": START, "end": END, "format": "csv"})
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[2][0].startswith("'=HYPERLINK")
    entries = access_entries("dualpub_export")
    assert len(entries) == 3
    assert all(str(decided.public_id).encode() in bytes(e.canonical) for e in entries)


def test_api_refused_record_named(world, decided) -> None:  # type: ignore[no-untyped-def]
    decided.penalty.facts = ""
    decided.penalty.save()
    body = token_client(world["agency_head"]).get("/api/v1/disclosure/dualpub/penalties",
                                                   {"start": START, "end": END}).json()
    assert body["records"] == []
    assert [p["column"] for p in body["refused"][0]["problems"]] == ["CF_SY"]
    assert "违法事实" in body["refused"][0]["problems"][0]["message"]


def test_scoping_other_agency_sees_nothing_and_404(world, decided, agency_b) -> None:  # type: ignore[no-untyped-def]
    client = token_client(agency_b["disclosure_officer"])
    body = client.get("/api/v1/disclosure/dualpub/penalties", {"start": START, "end": END}).json()
    assert body["records"] == [] and body["refused"] == []
    got = client.get("/api/v1/disclosure/dualpub/penalties",
                     {"start": START, "end": END, "agency": str(world.agency.public_id)})
    assert got.status_code == 404
    web = Client()
    web.force_login(agency_b["disclosure_officer"])
    assert web.get("/staff/disclosure/dualpub/", {"agency": str(world.agency.public_id)}).status_code == 404
    page = web.get("/staff/disclosure/dualpub/", {"start": START, "end": END})
    assert decided.reference not in page.content.decode()
    xlsx = web.get("/staff/disclosure/dualpub/penalties.xlsx", {"start": START, "end": END})
    assert xlsx["X-Zhifa-Records"] == "0"


def test_roles_other_than_officer_and_head_refused(world) -> None:  # type: ignore[no-untyped-def]
    assert token_client(world["officer"]).get("/api/v1/disclosure/dualpub/penalties").status_code == 403
    web = Client()
    web.force_login(world["officer"])
    assert web.get("/staff/disclosure/dualpub/").status_code == 403


def test_page_and_download_end_to_end(world, decided) -> None:  # type: ignore[no-untyped-def]
    web = Client()
    web.force_login(world["agency_head"])
    page = web.get("/staff/disclosure/dualpub/", {"start": START, "end": END})
    assert page.status_code == 200
    text = page.content.decode()
    assert "双公示数据导出" in text and "可导出 1 条" in text
    got = web.get("/staff/disclosure/dualpub/penalties.csv", {"start": START, "end": END})
    assert got.status_code == 200 and got["Content-Type"].startswith("text/csv")
    assert got.content.startswith(BOM.encode("utf-8"))
    assert access_entries("dualpub_view") and access_entries("dualpub_export:csv")
    assert web.get("/staff/disclosure/dualpub/", {"start": "2026-07-01", "end": "2026-06-01"}).status_code == 400
