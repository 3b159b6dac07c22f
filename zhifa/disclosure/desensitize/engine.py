"""The desensitizer's layers (ADR 0039; rules DISC-19, DISC-20, DISC-21). Pure Python: no Django, no database.

Layers, highest priority first; where two candidate masks overlap the higher layer (then the longer span) wins:

(a) ``known``: every name and number the case holds, given by the caller as ``(text, category)``, masked wherever
    it occurs, allowlist or not.
(b) patterns with checks: resident IDs (GB 11643 check digit, or a 15-digit / check-failing number right after an
    ID label), mobile and landline phones, bank cards (Luhn, or any long number after a card or account label),
    licence plates, the address after 住/住址/地址/住所/现住/户籍地 up to the next punctuation.
(c) person names in free text: LAC's PER entities, names after role words (当事人/法定代表人/证人 …), and every
    further occurrence of a name found so.
(d) allowlists that stay public and block layers (b) and (c): law titles 《…》, checksum-valid USCCs, the ``keep``
    list (organization, agency and officer names, certificate numbers), organizations LAC tags, and a name followed
    by its 执法证号 (an officer).

DISC-20: nothing but the masked spans changes; every span says where it is in the output and in the input, its
category, its rule and layer, so a UI can highlight it with its reason (DISC-21's redaction log).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from . import checks, ner
from .names import starts_with_surname, surname_of

PERSON: Final = "person_name"
ID_NUMBER: Final = "id_number"
PHONE: Final = "phone"
BANK_CARD: Final = "bank_card"
PLATE: Final = "plate"
ADDRESS: Final = "address"
OTHER: Final = "other"
CATEGORIES: Final = (PERSON, ID_NUMBER, PHONE, BANK_CARD, PLATE, ADDRESS, OTHER)

#: Categories of the allowlist (layer d).
ORGANIZATION: Final = "organization"
USCC: Final = "uscc"
OFFICER: Final = "officer"
AGENCY: Final = "agency"
LAW_TITLE: Final = "law_title"
CERTIFICATE: Final = "certificate"

DOC_NUMBER: Final = "document_number"

ADDRESS_MASK: Final = "（地址已隐去）"

_PRIORITY: Final = {"a": 0, "b": 1, "c": 2}
#: Full-width digits and Latin letters to ASCII, one character for one, so that the patterns see １３８… as 138…
#: and every offset stays valid.
FOLD: Final = str.maketrans({chr(0xFF10 + i): chr(0x30 + i) for i in range(10)}
                            | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
                            | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)})
#: Pattern rules that no allowlist blocks: what `verify_clean` would refuse at publication.
_FAIL_CLOSED: Final = frozenset({"gb11643-check", "mobile", "landline"})
#: Allowlist rules that only keep a stretch from being taken for a person's name (a model's organization may
#: still contain a plate or an address).
_NAMES_ONLY: Final = frozenset({"lac-org", "officer-with-certificate"})


@dataclass(frozen=True)
class Span:
    """One mask. ``start``/``end`` index the masked text, ``original_start``/``original_end`` the input."""

    start: int
    end: int
    original_start: int
    original_end: int
    category: str
    rule: str
    layer: str
    original_length: int
    replacement: str


@dataclass(frozen=True)
class Kept:
    """A stretch of the input that an allowlist kept public (offsets in the input; ``Redaction.to_output`` maps an
    input offset to the output)."""

    start: int
    end: int
    category: str
    rule: str


@dataclass(frozen=True)
class Redaction:
    text: str
    spans: tuple[Span, ...]
    kept: tuple[Kept, ...]

    def to_output(self, position: int) -> int:
        """The output offset of an input offset outside every mask (a mask's inside maps to its start)."""
        shift = 0
        for s in self.spans:
            if s.original_end <= position:
                shift = s.end - s.original_end
            elif s.original_start < position:
                return s.start
            else:
                break
        return position + shift


@dataclass(frozen=True)
class Finding:
    """A checksum-valid ID number or a phone number still in clear (``verify_clean``)."""

    start: int
    end: int
    category: str
    rule: str
    text: str


@dataclass
class _Cand:
    start: int
    end: int
    category: str
    rule: str
    layer: str


# ---------------------------------------------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """张三 → 张某, 张三丰 → 张某某, 欧阳娜娜 → 欧阳某某 (the surname stays, 某 for one given character, 某某 else)."""
    surname = surname_of(name)
    return surname + ("某" if len(name) - len(surname) == 1 else "某某")


def mask_keep(value: str, head: int, tail: int) -> str:
    """Replace every letter or digit between the first ``head`` and the last ``tail`` of them with ``*``; other
    characters (separators, brackets) stay where they are."""
    folded = value.translate(FOLD)
    positions = [i for i, c in enumerate(folded) if c.isascii() and c.isalnum()]
    n = len(positions)
    if n - head - tail < min(3, n):  # too short to keep both ends: hide at least three characters
        head = max(0, n - tail - 3)
        tail = max(0, min(tail, n - head - 3))
    hidden = set(positions[head:len(positions) - tail if tail else None])
    return "".join("*" if i in hidden else c for i, c in enumerate(value))


def mask_for(category: str, value: str) -> str:
    if category == PERSON:
        return mask_name(value)
    if category == ID_NUMBER:
        return mask_keep(value, 6, 4)  # DISC-21
    if category == PHONE:
        return mask_keep(value, 3, 4)
    if category == BANK_CARD:
        return mask_keep(value, 0, 4)
    if category == PLATE:
        return value[:2] + "*" * len(value[2:].replace("·", "").replace("•", "")) if len(value) > 2 else "*"
    if category == ADDRESS:
        return ADDRESS_MASK
    return "＊" * len(value)


# ---------------------------------------------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------------------------------------------

_ALNUM_LEFT = r"(?<![0-9A-Za-z])"
_ALNUM_RIGHT = r"(?![0-9A-Za-z])"
_ID18: Final = re.compile(_ALNUM_LEFT + r"\d{17}[\dXx]" + _ALNUM_RIGHT)
_ID15: Final = re.compile(_ALNUM_LEFT + r"\d{15}" + _ALNUM_RIGHT)
_ID_LABEL: Final = re.compile(r"(?:身份证|身份号码|公民身份|证件号码|证件号|身份证号)[^，。；\n\d]{0,6}$")
_MOBILE: Final = re.compile(r"(?<![\d])(?:(?:\+|00)?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")
_LANDLINE: Final = re.compile(r"(?:[（(]0\d{2,3}[)）]\s?|(?<!\d)0\d{2,3}[-－—\s]?)[2-9]\d{6,7}(?:[-转]\d{1,4})?(?!\d)")
_PHONE_LABEL: Final = re.compile(r"(?:电话|手机|联系方式|电话号码|手机号码|手机号|Tel|TEL|tel)[^，。；\n\d]{0,3}$")
_BARE_PHONE: Final = re.compile(r"(?<!\d)[2-9]\d{6,7}(?!\d)")
_CARD: Final = re.compile(r"(?<!\d)\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?!\d)")
_CARD_LABEL: Final = re.compile(r"(?:卡号|账号|帐号|银行卡|银行账户|账户|帐户)[^，。；\n\d]{0,8}$")
_LONG_DIGITS: Final = re.compile(r"(?<!\d)\d(?:[ -]?\d){9,24}(?!\d)")
_PLATE: Final = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·•\s]?"
    r"(?:[A-HJ-NP-Z0-9]{5,6})[挂学警]?" + _ALNUM_RIGHT
)
_ADDRESS: Final = re.compile(
    r"(?:(?:现住址|户籍地址|户籍所在地|户籍地|家庭住址|住址|住所地|住所|地址|现住|家住)[：:]?\s*"
    r"|(?:(?<=[，,。；;\s：:（(])|^)住(?![房宅宿院建址所])(?:在|于)?)"
    r"(?P<addr>[^，,。；;：:\n（()）、]{2,80})",
    re.MULTILINE,
)
_LAW_TITLE: Final = re.compile(r"《[^《》\n]{1,80}》")
#: A document number (文号), e.g. 陆良综执罚决字〔2025〕第12号: public, and its agency prefix is no person.
_DOC_NUMBER: Final = re.compile(r"[\u4e00-\u9fff]{1,16}[〔\[［(（]\d{4}[〕\]］)）]\s*第?\s*\d+\s*号")
_CERT_LABEL: Final = re.compile(r"(?:执法证号|执法证件号码?|执法证编号|执法证|证件编号|证号)[：:\s]*$")
_USCC_RE: Final = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NP-RTUW-Y]{18}(?![0-9A-Z])")
_USCC_LABEL: Final = re.compile(r"(?:信用代码|代码)[^，。；\n]{0,4}$")
_OFFICER_CERT: Final = re.compile(r"[（(]?\s*(?:执法证号|执法证件号码?|执法证编号|执法证|证件编号|证号)[：:\s]*"
                                  r"(?P<cert>[0-9A-Za-z\-]{4,24})[)）]?")
_ROLE: Final = re.compile(
    r"(?:当事人|法定代表人|法人代表|委托代理人|委托代理|代理人|证人|负责人|经营者|投资人|户主|联系人|被检查人|"
    r"被询问人|询问对象|受害人|监护人|实际控制人|股东|驾驶员|驾驶人|车主|举报人|投诉人|村民|雇员|员工|工人|"
    r"承包人|业主|房东|租户|见证人|在场人|现场负责人|签收人|受送达人|姓名|店员|购买人|购买者|消费者|乘客|司机|"
    r"押运人员|押运员|收款人|经办人|介绍人|合伙人|亲属|之子|之女|之妻|之夫)"
    r"[：:，,\s]*"
)
#: LAC tags under which a weak-context name may start (a person, or a word LAC does not know).
_NAME_TAGS: Final = frozenset({"PER", "nz", "LOC", "ORG"})
#: Weaker left contexts (对张三的询问笔录, 经张三介绍): a name after them needs one of `_NAME_FOLLOW` after it.
_WEAK_LEFT: Final = re.compile(r"(?:(?<=[，。；;：:\n])|雇请|雇佣|指使|委托无资质的|委托|转入|转给|交给|卖给|售予|租给|"
                                r"对|据|经|由|与|向|将|被|让|给|和|及|同|跟|当日|同日|次日)")
#: Words that may follow a name in a decision's sentences (据张三陈述, 张三驾驶…).
_NAME_FOLLOW: Final = ("陈述", "称", "证实", "反映", "驾驶", "负责", "介绍", "协助", "确认", "承认", "提供", "向", "在",
                       "亦", "对此", "系", "作为", "签字", "签名", "经营", "到", "于", "的", "合伙", "同意", "举报",
                       "投诉", "现场", "本人", "予以", "支付", "收取", "多次", "曾", "当场", "明知", "擅自", "设计",
                       "指使", "委托", "拍摄", "雇请", "未经", "将", "因", "为", "与", "和", "等人", "一同", "共同")
_NAME_STOP: Final = frozenset("，。、；：:,.（()）男女等在于与和及的是因未擅将系为从向对被已并所均称也就到自")
_CJK: Final = re.compile(r"[\u4e00-\u9fff]")
#: Common words of decision text that begin with a surname character and would otherwise be taken for a name
#: after a role word or a weak context (当事人应当…, 未经许可在…; ADR 0044).
_NOT_NAMES: Final = frozenset({"应当", "应该", "许可", "于是", "依法", "方可", "即可", "程序", "任何", "范围",
                               "时间", "金额", "江段", "周边", "周围", "高度", "温度", "万元", "经营", "何时"})
#: Characters that make a model's "name" an amount (伍万元) rather than a person.
_NUMERALS: Final = frozenset("零〇一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟元角分整")


#: What follows a place or an amount, not a person (陆良县, 谷城镇, 伍万元).
_NOT_AFTER_NAME: Final = ("元", "万元", "年", "月", "日", "县", "市", "区", "镇", "乡", "村", "街道", "路", "省", "州",
                          "旗", "组", "号", "河", "江", "湖", "山", "桥")


def _plausible_name(text: str, name: str, end: int) -> bool:
    if "某" in name or not _CJK.match(name) or not 2 <= len(name) <= 4:
        return False
    if all(c in _NUMERALS for c in name[len(surname_of(name)):]):
        return False
    return not text.startswith(_NOT_AFTER_NAME, end)


def _label_before(text: str, start: int, label: re.Pattern[str]) -> bool:
    return bool(label.search(text[max(0, start - 12):start]))


def _is_certificate(text: str, m: re.Match[str]) -> bool:
    """A number that is the whole value after 执法证号 (执法证号：13910012346）) is a certificate, not a phone."""
    return _label_before(text, m.start(), _CERT_LABEL) and (m.end() == len(text) or text[m.end()] in "）)、，,。；; \n")


def _find_all(text: str, needle: str) -> Iterable[int]:
    if not needle:
        return
    i = text.find(needle)
    while i >= 0:
        yield i
        i = text.find(needle, i + len(needle))


# ---------------------------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------------------------


def _allowlist(text: str, keep: Iterable[tuple[str, str]]) -> list[Kept]:
    kept = [Kept(m.start(), m.end(), LAW_TITLE, "law-title") for m in _LAW_TITLE.finditer(text)]
    kept += [Kept(m.start(), m.end(), DOC_NUMBER, "document-number") for m in _DOC_NUMBER.finditer(text)]
    for m in _USCC_RE.finditer(text):
        value = m.group()
        if checks.is_uscc(value) and (not checks.is_resident_id(value) or _label_before(text, m.start(), _USCC_LABEL)):
            kept.append(Kept(m.start(), m.end(), USCC, "uscc-check"))
    for value, category in keep:
        for i in _find_all(text, value):
            kept.append(Kept(i, i + len(value), category, "keep-list"))
    return kept


def _layer_b(text: str) -> list[_Cand]:
    out: list[_Cand] = []
    for m in _ID18.finditer(text):
        if checks.is_resident_id(m.group()):
            out.append(_Cand(m.start(), m.end(), ID_NUMBER, "gb11643-check", "b"))
        elif _label_before(text, m.start(), _ID_LABEL) and not checks.is_uscc(m.group()):
            out.append(_Cand(m.start(), m.end(), ID_NUMBER, "id-label", "b"))
    for m in _ID15.finditer(text):
        if checks.is_legacy_resident_id(m.group()) and _label_before(text, m.start(), _ID_LABEL):
            out.append(_Cand(m.start(), m.end(), ID_NUMBER, "id15-label", "b"))
    for pattern, rule in ((_MOBILE, "mobile"), (_LANDLINE, "landline")):
        for m in pattern.finditer(text):
            if not _is_certificate(text, m):  # an officer's certificate number
                out.append(_Cand(m.start(), m.end(), PHONE, rule, "b"))
    for m in _BARE_PHONE.finditer(text):
        if _label_before(text, m.start(), _PHONE_LABEL):
            out.append(_Cand(m.start(), m.end(), PHONE, "phone-label", "b"))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 16 <= len(digits) <= 19 and checks.luhn_ok(digits) and not checks.is_resident_id(digits):
            out.append(_Cand(m.start(), m.end(), BANK_CARD, "luhn", "b"))
    for m in _LONG_DIGITS.finditer(text):
        if _label_before(text, m.start(), _CARD_LABEL):
            out.append(_Cand(m.start(), m.end(), BANK_CARD, "account-label", "b"))
    for m in _PLATE.finditer(text):
        out.append(_Cand(m.start(), m.end(), PLATE, "plate", "b"))
    for m in _ADDRESS.finditer(text):
        addr = m.group("addr").rstrip()
        if addr and not addr.startswith(("同上", "不详", "无")):
            out.append(_Cand(m.start("addr"), m.start("addr") + len(addr), ADDRESS, "address-after-label", "b"))
    return out


def _name_at(text: str, start: int, per_starts: dict[int, int], *, weak: bool = False) -> int:
    """End of a person name starting at ``start`` (by the model if it found one there, else surname + 1–2 given
    characters followed by a stop), or -1."""
    by_model = per_starts.get(start, -1)
    sl = starts_with_surname(text[start:start + 2])
    if not sl:
        return by_model
    for given in (2, 1):
        end = start + sl + given
        if end > len(text) or not all(_CJK.match(c) for c in text[start + sl:end]):
            continue
        if "某" in text[start:end]:
            return -1
        if text[start:end] in _NOT_NAMES:
            continue
        if given == 2 and text[end - 1] in _NAME_STOP:
            continue  # 王强在现场: the second "given" character is a function word
        if text.startswith(_NAME_FOLLOW, end) or (
                not weak and (end == len(text) or text[end] in _NAME_STOP or text[end].isspace())):
            return max(end, by_model)
    return by_model


def _layer_c(text: str, kept: list[Kept], use_model: bool) -> tuple[list[_Cand], list[Kept]]:
    out: list[_Cand] = []
    extra_kept: list[Kept] = []
    per_starts: dict[int, int] = {}
    words: dict[int, tuple[int, str]] = {}  # start -> (end, tag) of every word the model cuts
    if use_model:
        for ent in ner.entities(text, None):
            words[ent.start] = (ent.end, ent.label)
            if ent.label == "ORG" and len(ent.text) >= 5:  # 东方金凤 is a person
                extra_kept.append(Kept(ent.start, ent.end, ORGANIZATION, "lac-org"))
            elif ent.label == "PER" and _plausible_name(text, ent.text, ent.end):
                per_starts[ent.start] = ent.end
                out.append(_Cand(ent.start, ent.end, PERSON, "lac-per", "c"))
    for pattern, weak, rule in ((_ROLE, False, "role-word"), (_WEAK_LEFT, True, "name-context")):
        for m in pattern.finditer(text):
            end = _name_at(text, m.end(), per_starts, weak=weak)
            word = words.get(m.end())
            if weak and word and word[1] not in _NAME_TAGS and word[0] - m.end() >= 2:
                continue  # the model reads a common word here (于是, 常年, 安全员), not a name
            if end > 0 and not any(c.start == m.end() and c.end == end for c in out):
                out.append(_Cand(m.end(), end, PERSON, rule, "c"))
    # A name followed by its certificate number is an officer's (public, CASE/DISC rules on 亮证): keep it, and its
    # other mentions.
    officers: set[str] = set()
    for m in _OFFICER_CERT.finditer(text):
        for c in out:
            if c.category == PERSON and m.start() - 1 <= c.end <= m.start():
                officers.add(text[c.start:c.end])
        extra_kept.append(Kept(m.start("cert"), m.end("cert"), CERTIFICATE, "officer-certificate"))
    for name in officers:
        for i in _find_all(text, name):
            extra_kept.append(Kept(i, i + len(name), OFFICER, "officer-with-certificate"))
    return out, extra_kept


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def desensitize(text: str, *, known: Iterable[tuple[str, str]] = (), keep: Iterable[tuple[str, str]] = (),
                use_model: bool = True) -> Redaction:
    """Mask the personal data in ``text``. ``known``: (text, category) pairs the case holds (category one of
    ``CATEGORIES``); ``keep``: (text, category) pairs that stay public (organization, agency, officer,
    certificate). ``use_model=False`` runs the rules without the LAC model."""
    known = [(v, c) for v, c in known if len(v.strip()) >= 2]  # one character would mask every 李
    folded = text.translate(FOLD)
    kept = _allowlist(folded, keep)
    cands: list[_Cand] = []
    for value, category in sorted(known, key=lambda vc: -len(vc[0])):
        for i in _find_all(text, value):
            cands.append(_Cand(i, i + len(value), category if category in CATEGORIES else OTHER, "known", "a"))
    cands.extend(_layer_b(folded))
    c_cands, c_kept = _layer_c(text, kept, use_model and ner.available())
    kept.extend(c_kept)
    cands.extend(c_cands)
    # Layer d blocks layers b and c, except what `verify_clean` refuses: a checksum-valid resident ID or a phone
    # number is masked even inside a kept stretch (fail closed), unless it is exactly a valid USCC.
    cands = [
        c for c in cands
        if c.layer == "a" or (c.rule in _FAIL_CLOSED and not any(
            k.category == USCC and k.start == c.start and k.end == c.end for k in kept))
        or not any(_overlaps(c.start, c.end, k.start, k.end) for k in kept
                   if c.layer == "c" or k.rule not in _NAMES_ONLY)
    ]
    # Propagation: every other occurrence of a name found anywhere is masked too.
    names = {text[c.start:c.end] for c in cands if c.category == PERSON and c.end - c.start >= 2}
    for name in names:
        for i in _find_all(text, name):
            if not any(_overlaps(i, i + len(name), k.start, k.end) for k in kept):
                cands.append(_Cand(i, i + len(name), PERSON, "same-name", "c"))
    chosen: list[_Cand] = []
    for c in sorted(cands, key=lambda c: (_PRIORITY[c.layer], -(c.end - c.start), c.start)):
        if not any(_overlaps(c.start, c.end, o.start, o.end) for o in chosen):
            chosen.append(c)
    chosen.sort(key=lambda c: c.start)
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    out_len = 0
    for c in chosen:
        parts.append(text[pos:c.start])
        out_len += c.start - pos
        original = text[c.start:c.end]
        replacement = mask_for(c.category, original)
        spans.append(Span(out_len, out_len + len(replacement), c.start, c.end, c.category, c.rule, c.layer,
                          len(original), replacement))
        parts.append(replacement)
        out_len += len(replacement)
        pos = c.end
    parts.append(text[pos:])
    kept_unique = sorted({(k.start, k.end, k.category, k.rule) for k in kept})
    return Redaction("".join(parts), tuple(spans), tuple(Kept(*k) for k in kept_unique))


def verify_clean(text: str) -> list[Finding]:
    """Every checksum-valid resident ID number and every phone number still in clear in ``text`` (publication
    fails closed on any, issue 12 part 2). Masked forms (with ``*``) no longer match."""
    original, text = text, text.translate(FOLD)
    found: list[Finding] = []
    for m in _ID18.finditer(text):
        if checks.is_resident_id(m.group()):
            found.append(Finding(m.start(), m.end(), ID_NUMBER, "gb11643-check", original[m.start():m.end()]))
    for pattern, rule in ((_MOBILE, "mobile"), (_LANDLINE, "landline")):
        for m in pattern.finditer(text):
            if _is_certificate(text, m):
                continue  # an officer's certificate number, public (shown with the officer's name)
            if not any(_overlaps(m.start(), m.end(), f.start, f.end) for f in found):
                found.append(Finding(m.start(), m.end(), PHONE, rule, original[m.start():m.end()]))
    found.sort(key=lambda f: f.start)
    return found
