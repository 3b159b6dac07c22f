"""双公示 records (rules.md §7.8): the DS-1 penalty and DS-2 licence record with their common column codes, and the
DS-5 money conversion. Pure: no Django import; the selector fills these from case data (ADR 0040)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Final

# DS-3 enumerations.
PARTY_ORGANIZATION: Final = "法人及非法人组织"
PARTY_PERSON: Final = "自然人"
PARTY_SOLE_TRADER: Final = "个体工商户"
PARTY_CATEGORIES: Final = (PARTY_ORGANIZATION, PARTY_PERSON, PARTY_SOLE_TRADER)
ID_TYPES: Final = {"01": "身份证", "02": "护照", "03": "港澳居民来往内地通行证", "04": "台湾居民来往大陆通行证",
                   "05": "外国人永久居留身份证"}
ID_TYPE_RESIDENT: Final = "01"
LICENCE_CATEGORIES: Final = {"01": "普通", "02": "特许", "03": "认可", "04": "核准", "05": "登记", "06": "其他"}
LICENCE_STATES: Final = {"1": "有效", "2": "无效"}  # "2" is reported, unconfirmed (DS-3 [U])

# DS-4: the APL Art. 9 categories, as the case engine's penalty kinds name them.
PENALTY_CATEGORY: Final = {
    "warning": "警告", "circulated_criticism": "通报批评", "fine": "罚款", "confiscate_gains": "没收违法所得",
    "confiscate_property": "没收非法财物", "suspend_license": "暂扣许可证件", "lower_qualification": "降低资质等级",
    "revoke_license": "吊销许可证件", "restrict_business": "限制开展生产经营活动", "suspend_business": "责令停产停业",
    "close_down": "责令关闭", "restrict_practice": "限制从业", "detention": "行政拘留", "other": "其他",
}
CATEGORY_SEPARATOR: Final = ";"

TEN_THOUSAND: Final = Decimal(10000)
WANYUAN_PLACES: Final = 6


def to_wanyuan(yuan: Decimal | None) -> str:
    """DS-5: an amount in 元 as 万元 with at most 6 decimals, exact (Decimal, never float), trailing zeros trimmed:
    12345.67 元 → "1.234567"; 2000 元 → "0.2"; 10000 元 → "1". None → "". An amount with more precision than
    0.01 元 cannot be written in 6 decimals of 万元 and is refused (ValueError) rather than rounded."""
    if yuan is None:
        return ""
    if not isinstance(yuan, Decimal):
        raise TypeError("DS-5: amounts must be Decimal, not float or int")
    value = yuan / TEN_THOUSAND
    quantized = value.quantize(Decimal(1).scaleb(-WANYUAN_PLACES))
    if quantized != value:
        raise ValueError(f"DS-5: {yuan} 元 has more than 6 decimals in 万元")
    text = format(quantized, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


@dataclass(frozen=True)
class Column:
    code: str
    label: str


@dataclass(frozen=True)
class PenaltyRecord:
    """DS-1, field order = column order. Every value is text (codes, dates as YYYY-MM-DD, 万元 amounts)."""

    CF_XDR_MC: str = ""
    CF_XDR_LB: str = ""
    CF_XDR_SHXYM: str = ""
    CF_XDR_GSZC: str = ""
    CF_XDR_ZZJG: str = ""
    CF_XDR_SWDJ: str = ""
    CF_XDR_SYDW: str = ""
    CF_XDR_SHZZ: str = ""
    CF_FRDB: str = ""
    CF_FR_ZJLX: str = ""
    CF_FR_ZJHM: str = ""
    CF_XDR_ZJLX: str = ""
    CF_XDR_ZJHM: str = ""
    CF_WSH: str = ""
    CF_WFXW: str = ""
    CF_SY: str = ""
    CF_YJ: str = ""
    CF_CFLB: str = ""
    CF_NR: str = ""
    CF_NR_FK: str = ""
    CF_NR_WFFF: str = ""
    CF_NR_ZKDX: str = ""
    CF_JDRQ: str = ""
    CF_YXQ: str = ""
    CF_GSJZQ: str = ""
    CF_CFJG: str = ""
    CF_CFJGDM: str = ""
    CF_SJLY: str = ""
    CF_SJLYDM: str = ""
    BZ: str = ""

    def row(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]

    @property
    def categories(self) -> list[str]:
        return [c for c in self.CF_CFLB.split(CATEGORY_SEPARATOR) if c]


PENALTY_LABELS: Final = {
    "CF_XDR_MC": "行政相对人名称", "CF_XDR_LB": "行政相对人类别", "CF_XDR_SHXYM": "行政相对人代码_1（统一社会信用代码）",
    "CF_XDR_GSZC": "行政相对人代码_2（工商注册号）", "CF_XDR_ZZJG": "行政相对人代码_3（组织机构代码）",
    "CF_XDR_SWDJ": "行政相对人代码_4（税务登记号）", "CF_XDR_SYDW": "行政相对人代码_5（事业单位证书号）",
    "CF_XDR_SHZZ": "行政相对人代码_6（社会组织登记证号）", "CF_FRDB": "法定代表人", "CF_FR_ZJLX": "法定代表人证件类型",
    "CF_FR_ZJHM": "法定代表人证件号码", "CF_XDR_ZJLX": "证件类型", "CF_XDR_ZJHM": "证件号码",
    "CF_WSH": "行政处罚决定书文号", "CF_WFXW": "违法行为类型", "CF_SY": "违法事实", "CF_YJ": "处罚依据",
    "CF_CFLB": "处罚类别", "CF_NR": "处罚内容", "CF_NR_FK": "罚款金额（万元）",
    "CF_NR_WFFF": "没收违法所得、没收非法财物的金额（万元）", "CF_NR_ZKDX": "暂扣或吊销证照名称及编号",
    "CF_JDRQ": "处罚决定日期", "CF_YXQ": "处罚有效期", "CF_GSJZQ": "公示截止期", "CF_CFJG": "处罚机关",
    "CF_CFJGDM": "处罚机关统一社会信用代码", "CF_SJLY": "数据来源单位", "CF_SJLYDM": "数据来源单位统一社会信用代码",
    "BZ": "备注",
}
PENALTY_COLUMNS: Final = tuple(Column(f.name, PENALTY_LABELS[f.name]) for f in fields(PenaltyRecord))


@dataclass(frozen=True)
class LicenceRecord:
    """DS-2, field order = column order. No selector yet: there are no licensing cases (ADR 0040)."""

    XK_XDR_MC: str = ""
    XK_XDR_LB: str = ""
    XK_XDR_SHXYM: str = ""
    XK_XDR_GSZC: str = ""
    XK_XDR_ZZJG: str = ""
    XK_XDR_SWDJ: str = ""
    XK_XDR_SYDW: str = ""
    XK_XDR_SHZZ: str = ""
    XK_FRDB: str = ""
    XK_FR_ZJLX: str = ""
    XK_FR_ZJHM: str = ""
    XK_XDR_ZJLX: str = ""
    XK_XDR_ZJHM: str = ""
    XK_XKWS: str = ""
    XK_WSH: str = ""
    XK_XKLB: str = ""
    XK_XKZS: str = ""
    XK_XKBH: str = ""
    XK_NR: str = ""
    XK_JDRQ: str = ""
    XK_YXQZ: str = ""
    XK_YXQZI: str = ""
    XK_XKJG: str = ""
    XK_XKJGDM: str = ""
    XK_ZT: str = ""
    XK_LYDW: str = ""
    XK_LYDWDM: str = ""
    BZ: str = ""

    def row(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]


LICENCE_LABELS: Final = {
    "XK_XDR_MC": "行政相对人名称", "XK_XDR_LB": "行政相对人类别", "XK_XDR_SHXYM": "行政相对人代码_1（统一社会信用代码）",
    "XK_XDR_GSZC": "行政相对人代码_2（工商注册号）", "XK_XDR_ZZJG": "行政相对人代码_3（组织机构代码）",
    "XK_XDR_SWDJ": "行政相对人代码_4（税务登记号）", "XK_XDR_SYDW": "行政相对人代码_5（事业单位证书号）",
    "XK_XDR_SHZZ": "行政相对人代码_6（社会组织登记证号）", "XK_FRDB": "法定代表人", "XK_FR_ZJLX": "法定代表人证件类型",
    "XK_FR_ZJHM": "法定代表人证件号码", "XK_XDR_ZJLX": "证件类型", "XK_XDR_ZJHM": "证件号码",
    "XK_XKWS": "行政许可决定文书名称", "XK_WSH": "行政许可决定文书号", "XK_XKLB": "许可类别", "XK_XKZS": "许可证书名称",
    "XK_XKBH": "许可编号", "XK_NR": "许可内容", "XK_JDRQ": "许可决定日期", "XK_YXQZ": "有效期自", "XK_YXQZI": "有效期至",
    "XK_XKJG": "许可机关", "XK_XKJGDM": "许可机关统一社会信用代码", "XK_ZT": "当前状态", "XK_LYDW": "数据来源单位",
    "XK_LYDWDM": "数据来源单位统一社会信用代码", "BZ": "备注",
}
LICENCE_COLUMNS: Final = tuple(Column(f.name, LICENCE_LABELS[f.name]) for f in fields(LicenceRecord))
