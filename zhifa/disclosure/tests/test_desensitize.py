"""The desensitizer (issue 12 part 1, ADR 0039): DISC-19 personal privacy redacted before publication, DISC-20 the
published text equals the served text except for the redactions, DISC-21 default masking (ID keeps 6 + 4; address,
phone, bank account hidden) with a log of every span and its rule. No database: the module is pure.
"""

from __future__ import annotations

import ast
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from zhifa.disclosure.desensitize import (
    ADDRESS,
    ADDRESS_MASK,
    BANK_CARD,
    ID_NUMBER,
    PERSON,
    PHONE,
    PLATE,
    Redaction,
    desensitize,
    mask_name,
    verify_clean,
)
from zhifa.disclosure.desensitize.checks import is_resident_id, is_uscc, luhn_check_digit, luhn_ok
from zhifa.disclosure.desensitize.testdata import generate_decision, sprinkle

PACKAGE = Path(__file__).resolve().parents[1] / "desensitize"
REPO = Path(__file__).resolve().parents[3]

ID_VALID = "11010519491231002X"  # GB 11643's own example
USCC_VALID = "91350100M000100Y43"


def check_spans(source: str, result: Redaction) -> None:
    """DISC-20: outside the spans the output is the input, and each span says what it replaced."""
    pos_in = pos_out = 0
    for s in result.spans:
        assert result.text[pos_out:s.start] == source[pos_in:s.original_start]
        assert result.text[s.start:s.end] == s.replacement
        assert s.original_end - s.original_start == s.original_length
        assert s.replacement != source[s.original_start:s.original_end]
        pos_in, pos_out = s.original_end, s.end
    assert result.text[pos_out:] == source[pos_in:]


def masked(result: Redaction, category: str) -> list[str]:
    return [s.replacement for s in result.spans if s.category == category]


# --- the module is pure ------------------------------------------------------------------------------------------


def test_desensitize_package_imports_no_django() -> None:
    """architecture.md: the desensitizer is pure code; it must import neither Django nor another zhifa app."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                assert not name.startswith("django"), f"{path.name} imports {name}"
                assert not name.startswith("zhifa."), f"{path.name} imports {name}"


# --- layer b: patterns with checks --------------------------------------------------------------------------------


def test_disc21_resident_id_keeps_first_6_and_last_4() -> None:
    text = f"当事人身份证号码{ID_VALID}，另见{ID_VALID.lower()}。"
    result = desensitize(text, use_model=False)
    assert masked(result, ID_NUMBER) == ["110105********002X", "110105********002x"]
    assert ID_VALID not in result.text
    check_spans(text, result)
    assert {s.rule for s in result.spans} == {"gb11643-check"}


def test_disc21_checksum_invalid_18_digits_left_alone_unless_labelled() -> None:
    """Decision: a bare 18-digit number with a wrong check digit is no ID (a serial, an order number) and stays;
    after an ID label it is masked all the same (a mistyped ID is still personal data)."""
    bad = ID_VALID[:-1] + "1"
    assert not is_resident_id(bad)
    assert desensitize(f"订单编号{bad}。", use_model=False).text == f"订单编号{bad}。"
    result = desensitize(f"身份证号码：{bad}。", use_model=False)
    assert [s.rule for s in result.spans] == ["id-label"]
    assert verify_clean(f"订单编号{bad}。") == []


def test_disc21_mobile_and_landline_phones_keep_first_3_last_4() -> None:
    text = "联系电话13812345678，手机：139-1234-5678，办公电话0571-87654321，座机（028）86543210，电话：6543210。"
    result = desensitize(text, use_model=False)
    assert masked(result, PHONE) == ["138****5678", "139-****-5678", "057*-****4321", "（028）****3210", "***3210"]
    assert len(result.spans) == 5
    assert verify_clean(result.text) == []
    check_spans(text, result)


def test_disc21_bank_cards_by_luhn() -> None:
    body = "622202123456789012"
    card = body + luhn_check_digit(body)
    wrong = body + str((int(luhn_check_digit(body)) + 1) % 10)
    assert luhn_ok(card) and not luhn_ok(wrong)
    result = desensitize(f"货款转入银行卡{card}，订单号{wrong}。", use_model=False)
    assert masked(result, BANK_CARD) == ["*" * 15 + card[-4:]]
    assert wrong in result.text
    spaced = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    assert masked(desensitize(f"卡{spaced}", use_model=False), BANK_CARD) == ["**** **** **** ***" + spaced[-5:]]


def test_disc21_licence_plates() -> None:
    result = desensitize("驾驶川A12345号货车，另一车浙B·D12345与京AF0236。", use_model=False)
    assert masked(result, PLATE) == ["川A*****", "浙B******", "京A*****"]


def test_disc21_address_after_its_label_up_to_punctuation() -> None:
    text = "当事人，男，住四川省绵阳市江油市太平镇红旗村3组12号，户籍地：浙江省湖州市安吉县人民路8号。住建局来人。"
    result = desensitize(text, use_model=False)
    addresses = [s for s in result.spans if s.category == ADDRESS]
    assert [text[s.original_start:s.original_end] for s in addresses] == [
        "四川省绵阳市江油市太平镇红旗村3组12号", "浙江省湖州市安吉县人民路8号"]
    assert all(s.replacement == ADDRESS_MASK for s in addresses)
    assert "住建局" in result.text  # 住 only as a label
    bracketed = desensitize("余兰（住宝应县建设路93号6栋2单元2702室）于次日到本机关接受询问。", use_model=False)
    assert bracketed.text == f"余兰（住{ADDRESS_MASK}）于次日到本机关接受询问。"


# --- layer d: allowlists ------------------------------------------------------------------------------------------


def test_organization_names_and_usccs_kept() -> None:
    assert is_uscc(USCC_VALID)
    text = f"当事人：绵阳市宏达建材有限公司，统一社会信用代码：{USCC_VALID}，法定代表人：赵德胜。"
    result = desensitize(text)
    assert "绵阳市宏达建材有限公司" in result.text and USCC_VALID in result.text
    assert masked(result, PERSON) == ["赵某某"]
    kept = desensitize(text, keep=[("绵阳市宏达建材有限公司", "organization")])
    assert any(k.rule == "keep-list" for k in kept.kept)
    for k in result.kept:  # the UI finds each kept stretch in the output
        start, end = result.to_output(k.start), result.to_output(k.end)
        assert result.text[start:end] == text[k.start:k.end]


def test_officer_names_with_certificate_numbers_kept() -> None:
    text = "执法人员张伟（执法证号：51010012345）、刘洋（执法证号：13910012346）进行了检查，张伟出示了证件。当事人李秀英在场。"
    result = desensitize(text)
    assert "张伟（执法证号：51010012345）" in result.text and "刘洋（执法证号：13910012346）" in result.text
    assert result.text.count("张伟") == 2
    assert masked(result, PERSON) == ["李某某"]
    # given as input: kept even without a certificate next to it
    assert "王强" in desensitize("承办人王强调查后认为。", keep=[("王强", "officer")]).text


def test_law_titles_kept() -> None:
    text = "依据《中华人民共和国水法》第六十五条和《王家坝管理办法》的规定。"
    result = desensitize(text, known=[("王家", PERSON)])
    assert "《中华人民共和国水法》" in result.text
    assert "《王家坝管理办法》" not in result.text  # known data of the case is masked wherever it is (layer a)
    assert desensitize(text).text == text


# --- layer a and c: names ---------------------------------------------------------------------------------------------


def test_known_names_masked_everywhere() -> None:
    text = "当事人王建国。经查，王建国于当日在河道采砂，王建国家中查获工具。欧阳娜娜同行，欧阳娜娜称不知情。"
    result = desensitize(text, known=[("王建国", PERSON), ("欧阳娜娜", PERSON)], use_model=False)
    assert "王建国" not in result.text and "欧阳娜娜" not in result.text
    assert result.text.count("王某某") == 3 and result.text.count("欧阳某某") == 2
    assert {s.layer for s in result.spans} == {"a"}
    check_spans(text, result)


def test_name_masks_keep_the_surname() -> None:
    assert [mask_name(n) for n in ("张三", "张三丰", "欧阳娜娜", "欧阳娜")] == ["张某", "张某某", "欧阳某某", "欧阳某"]


def test_names_in_free_text_by_model_and_role_words() -> None:
    text = "经查，2025年5月12日，李秀英擅自从河道取水，欧阳娜娜与其同行。证人陈小红证实了上述事实。罚款人民币伍万元。"
    result = desensitize(text)
    assert masked(result, PERSON) == ["李某某", "欧阳某某", "陈某某"]
    assert "伍万元" in result.text
    rules = desensitize("证人：常德桂，男。", use_model=False)
    assert masked(rules, PERSON) == ["常某某"] and rules.spans[0].rule == "role-word"


BOILERPLATE = """经查，于是在现场发现大量废旧轮胎，常年在此经营，未办理相关手续。当事人高度重视整改工作，方向盘已损坏。
本机关认为，当事人的行为违反了相关规定，应当依法予以处罚。鉴于当事人积极配合调查，依法从轻处罚。
当事人在规定期限内未提出陈述、申辩意见，也未要求听证。经复核，当事人提出的陈述申辩理由不能成立。
管理人员在场，安全员称已整改。时间在上午，金额为人民币。司机在车内，石料场在河道内。
执法人员向当事人出示了执法证件，告知其享有的陈述、申辩权利。当事人对违法事实无异议，并在询问笔录上签字确认。
"""


def test_common_words_after_punctuation_are_no_names() -> None:
    """DISC-20: nothing but personal data changes; a decision's stock sentences (于是, 常年, 安全员称 …) stay."""
    assert desensitize(BOILERPLATE).text == BOILERPLATE


def test_known_other_numbers_masked() -> None:
    text = "当事人护照号E12345678，车架号LSVAA4182E2123456。"
    result = desensitize(text, known=[("E12345678", "other"), ("LSVAA4182E2123456", "other")], use_model=False)
    assert "E12345678" not in result.text and "LSVAA4182E2123456" not in result.text


# --- spans, verify_clean ------------------------------------------------------------------------------------------


def test_spans_match_the_masked_text_on_generated_decisions() -> None:
    rng = random.Random(7)
    for _ in range(20):
        doc = generate_decision(rng)
        result = desensitize(doc.text)
        check_spans(doc.text, result)
        for s in result.spans:
            assert s.layer in "abc" and s.rule and s.category


def test_verify_clean_finds_a_leftover_id_and_phone() -> None:
    text = f"当事人张某，身份证{ID_VALID}，电话13812345678，已遮蔽：110105********002X、138****5678。"
    found = verify_clean(text)
    assert [(f.category, f.text) for f in found] == [(ID_NUMBER, ID_VALID), (PHONE, "13812345678")]
    assert verify_clean(desensitize(text).text) == []


def test_full_width_digits_are_numbers_too() -> None:
    """Full-width ID and phone digits (１３８…) are found and masked like ASCII ones, offsets unchanged."""
    wide = ID_VALID.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}).replace("X", "Ｘ")
    text = f"身份证{wide}，电话１３８１２３４５６７８。"
    assert [f.text for f in verify_clean(text)] == [wide, "１３８１２３４５６７８"]
    result = desensitize(text, use_model=False)
    assert result.text == "身份证１１０１０５********００２Ｘ，电话１３８****５６７８。"
    assert verify_clean(result.text) == []
    check_spans(text, result)


# --- property: nothing checksum-valid survives ---------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), count=st.integers(min_value=1, max_value=6))
def test_property_no_checksum_valid_id_or_phone_survives(seed: int, count: int) -> None:
    """Issue 12's bar: generated decisions with random personal data in random places; nothing checksum-valid
    (resident ID) and no phone number survives, anywhere (law titles, organization names, officer lines too)."""
    rng = random.Random(seed)
    doc = generate_decision(rng)
    text, inserted = sprinkle(rng, doc.text, count)
    result = desensitize(text)
    assert verify_clean(result.text) == [], inserted
    for value in inserted:
        assert value not in result.text
    check_spans(text, result)


def test_property_generated_party_data_all_masked() -> None:
    """DISC-21: every generated ID number, phone and bank card is gone from the output, with no case context."""
    rng = random.Random(2026)
    for _ in range(30):
        doc = generate_decision(rng, heldout=rng.random() < 0.5)
        result = desensitize(doc.text)
        for span in doc.spans:
            if span.category in (ID_NUMBER, PHONE, BANK_CARD):
                assert span.text not in result.text, span


def test_model_shared_by_threads() -> None:
    """The tagger is loaded once and serves concurrent callers with the same results."""
    rng = random.Random(11)
    texts = [generate_decision(rng).text for _ in range(8)]
    expected = [desensitize(t).text for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda t: desensitize(t).text, texts * 2)) == expected * 2


# --- the command --------------------------------------------------------------------------------------------------

DECISION = f"当事人：王建国，公民身份号码：{ID_VALID}，住址：江油市太平镇红旗村3组，联系电话：13812345678。\n"
EXPECTED = "当事人：王某某，公民身份号码：110105********002X，住址：（地址已隐去），联系电话：138****5678。\n"


def test_cli_redact_file(tmp_path: Path) -> None:
    source = tmp_path / "决定书.txt"
    source.write_text(DECISION, encoding="utf-8")
    out = StringIO()
    call_command("redact", str(source), stdout=out)
    assert out.getvalue() == EXPECTED


def _zhifa(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "zhifa.cli", "redact", *args], input=stdin, capture_output=True,
                          env=env, cwd=REPO, timeout=120, check=False)


def test_cli_redact_stdin_and_errors(tmp_path: Path) -> None:
    done = _zhifa(stdin=DECISION.encode())
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == EXPECTED
    missing = _zhifa(str(tmp_path / "无此文件.txt"))
    assert missing.returncode == 2 and "找不到文件" in missing.stderr.decode()
    assert "Traceback" not in missing.stderr.decode()
    (tmp_path / "gbk.txt").write_bytes(DECISION.encode("gbk"))
    not_utf8 = _zhifa(str(tmp_path / "gbk.txt"))
    assert not_utf8.returncode == 2 and "UTF-8" in not_utf8.stderr.decode()
    assert "Traceback" not in not_utf8.stderr.decode()


@pytest.mark.parametrize("flag", ["--json"])
def test_cli_redact_json_lists_spans(tmp_path: Path, flag: str) -> None:
    source = tmp_path / "a.txt"
    source.write_text(DECISION, encoding="utf-8")
    out = StringIO()
    call_command("redact", str(source), flag, stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["text"] == EXPECTED
    assert [s["category"] for s in payload["spans"]] == [PERSON, ID_NUMBER, ADDRESS, PHONE]
