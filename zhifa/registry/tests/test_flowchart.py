"""Flowcharts are drawn from the published steps (DISC-5): every step and time limit, valid XML, escaped text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from zhifa.registry.flowchart import WIDTH, flowchart_svg, wrap_text

SVG = "{http://www.w3.org/2000/svg}"

STEPS = [
    {"name": "立案", "time_limit": "7个工作日"},
    {"name": "调查取证", "time_limit": ""},
    {"name": "告知陈述、申辩和听证权利", "time_limit": "3个工作日"},
    {"name": "法制审核", "time_limit": "5个工作日"},
    {"name": "作出处罚决定", "time_limit": "90个自然日"},
    {"name": "送达", "time_limit": "7个自然日"},
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def text_lines(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_disc5_every_step_name_and_time_limit_is_drawn_in_order() -> None:
    root = parse(flowchart_svg(STEPS, title="行政处罚（一般程序）"))
    lines = text_lines(root)
    joined = "".join(lines)
    position = -1
    for number, step in enumerate(STEPS, start=1):
        at = joined.index(f"{number}. {step['name']}")
        assert at > position  # top to bottom in procedure order
        position = at
        if step["time_limit"]:
            assert f"时限：{step['time_limit']}" in lines
    assert lines.count("开始") == 1 and lines.count("结束") == 1
    assert lines.index("开始") < lines.index("1. 立案") < lines.index("结束")
    # One box per step, two terminals, one arrow (line + head) between each pair.
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("rx") == "6"]) == len(STEPS)
    assert len(list(root.iter(f"{SVG}polygon"))) == len(STEPS) + 1


def test_complete_accessible_svg_document() -> None:
    svg = flowchart_svg(STEPS, title="行政处罚（一般程序）")
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "行政处罚（一般程序）"
    assert "1. 立案（时限：7个工作日）" in root.find(f"{SVG}desc").text
    assert root.get("viewBox").startswith(f"0 0 {WIDTH} ")
    assert WIDTH == 360
    height = int(root.get("height"))
    assert root.get("viewBox") == f"0 0 360 {height}"
    # Everything drawn stays inside the view box.
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("x")) >= 0 and float(rect.get("x")) + float(rect.get("width")) <= WIDTH
        assert float(rect.get("y")) + float(rect.get("height")) <= height


def test_untitled_chart_still_has_a_title_and_no_steps_draws_start_to_end() -> None:
    root = parse(flowchart_svg([]))
    assert root.find(f"{SVG}title").text == "办理流程图"
    assert text_lines(root) == ["开始", "结束"]


def test_text_is_escaped_and_no_markup_can_be_injected() -> None:
    evil = [{"name": '<script>alert("x")</script>&', "time_limit": "</text><a href='javascript:1'>"}]
    svg = flowchart_svg(evil, title='"><img src=x onerror=alert(1)>')
    root = parse(svg)
    assert "<script" not in svg and "<img" not in svg and "<a " not in svg
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter(f"{SVG}a"))
    joined = "".join(text_lines(root))
    assert '<script>alert("x")</script>&' in joined
    assert root.find(f"{SVG}title").text == '"><img src=x onerror=alert(1)>'


def test_control_characters_are_dropped_so_the_document_stays_well_formed() -> None:
    root = parse(flowchart_svg([{"name": "立\x00案\x1b", "time_limit": "7个\x0b工作日"}], title="\x07标题"))
    assert "1. 立案" in text_lines(root)
    assert "时限：7个工作日" in text_lines(root)


def test_long_chinese_names_wrap_inside_the_box() -> None:
    long_name = "在河道管理范围内建设妨碍行洪的建筑物、构筑物，或者从事影响河势稳定、危害河岸堤防安全和其他妨碍河道行洪的活动"
    root = parse(flowchart_svg([{"name": long_name, "time_limit": "15个工作日"}]))
    lines = [line for line in text_lines(root) if line not in ("开始", "结束") and not line.startswith("时限")]
    assert len(lines) >= 3
    assert "".join(lines) == f"1. {long_name}"
    for line in lines:
        assert not line.startswith(("，", "、", "。"))  # closing punctuation never starts a line
    box = next(r for r in root.iter(f"{SVG}rect") if r.get("rx") == "6")
    assert float(box.get("height")) >= 3 * 20


def test_wrap_text_keeps_numbers_together_and_splits_overlong_tokens() -> None:
    assert wrap_text("共计20个工作日", max_width=1000, size=14) == ["共计20个工作日"]
    lines = wrap_text("甲" * 19 + "12345", max_width=20 * 14, size=14)
    assert lines == ["甲" * 19, "12345"]  # the number moves to the next line whole
    code = "A" * 100
    lines = wrap_text(code, max_width=100, size=10)
    assert "".join(lines) == code and all(len(line) * 6 <= 100 for line in lines)
    assert wrap_text("第一行\n第二行", max_width=1000, size=14) == ["第一行", "第二行"]
    assert wrap_text("  \n ", max_width=100, size=14) == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({"name": st.text(max_size=80), "time_limit": st.text(max_size=20)}), max_size=8),
    st.text(max_size=60),
)
def test_any_input_gives_well_formed_svg_with_one_box_per_step(steps: list[dict[str, str]], title: str) -> None:
    root = parse(flowchart_svg(steps, title=title))
    assert root.get("role") == "img"
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("rx") == "6"]) == len(steps)
    height = int(root.get("height"))
    for text in root.iter(f"{SVG}text"):
        assert 0 < float(text.get("y")) < height
