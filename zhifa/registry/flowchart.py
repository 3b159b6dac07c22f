"""Procedure flowcharts (办理流程图, DISC-5) drawn from the steps of a power item or service guide.

`flowchart_svg` is a pure function (its only outside input is the active language for the labels 开始/结束/时限): a list of steps in, a complete SVG document out. Nobody draws a flowchart by
hand, so the chart can never disagree with the steps and time limits that were published. The layout is a single
column (开始 → step … → 结束) 360 units wide, so it fits a phone screen and scales with CSS (`max-width: 100%`).

Every piece of text goes through `_text` (control characters removed, XML-escaped) before it is placed in the
document, so the output may be marked safe and inlined in HTML. It uses presentation attributes only (no `style`
attributes, no scripts, no external references), which keeps it valid under a strict Content-Security-Policy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

__all__ = ["flowchart_svg", "wrap_text"]

WIDTH = 360
_MARGIN = 16
_BOX_WIDTH = WIDTH - 2 * _MARGIN
_PAD_X = 12
_PAD_Y = 10
_CENTER = WIDTH // 2

_NAME_SIZE = 14
_NAME_LINE = 20
_LIMIT_SIZE = 12
_LIMIT_LINE = 18
_TITLE_SIZE = 15
_TITLE_LINE = 21
_TERMINAL_WIDTH = 120
_TERMINAL_HEIGHT = 34
_ARROW_GAP = 30
_ARROW_HEAD = 7

_FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
_INK = "#0b4f8a"
_BOX_FILL = "#eef4fb"
_MUTED = "#495057"

# Characters XML 1.0 cannot carry at all (escaping does not help), and lone surrogates.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\r\f\v\u3000]+")
# Runs kept together on one line when they fit: numbers, Latin words, codes such as "20个" stays "20" + "个".
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,:/%_\-]*")
# Chinese line-breaking rules (禁则): these never start a line / never end one.
_NO_LINE_START = frozenset("，。、；：？！）》」』”’〕】…—,.;:?!)]}%")
_NO_LINE_END = frozenset("（《「『“‘〔【([{")


def _clean(value: object) -> str:
    text = "" if value is None else str(value)
    return _INVALID_XML.sub("", text)


def _text(value: str) -> str:
    """Escape for use both as element content and inside a double-quoted attribute."""
    return escape(value, {'"': "&quot;"})


def _char_width(ch: str, size: float) -> float:
    """A generous estimate of the advance width in a bold sans-serif font (no font metrics at hand)."""
    if unicodedata.combining(ch):
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return size
    if ch in "MWmw@%":
        return size * 0.95
    if ch.isupper():
        return size * 0.75
    if ch in " .,:;!|'il":
        return size * 0.35
    return size * 0.62


def _width(text: str, size: float) -> float:
    return sum(_char_width(ch, size) for ch in text)


def _tokens(paragraph: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(paragraph):
        match = _WORD.match(paragraph, pos)
        if match:
            tokens.append(match.group())
            pos = match.end()
        else:
            tokens.append(paragraph[pos])
            pos += 1
    return tokens


def wrap_text(text: str, *, max_width: float, size: float) -> list[str]:
    """Break `text` into lines no wider than `max_width` (estimated: CJK = 1 em, Latin about 0.35–0.95 em).

    Explicit newlines are kept; closing punctuation hangs on the previous line rather than starting a new one.
    """
    lines: list[str] = []
    for raw in _clean(text).split("\n"):
        paragraph = _SPACES.sub(" ", raw).strip()
        if not paragraph:
            continue
        line = ""
        for token in _tokens(paragraph):
            if not line.strip():
                line = token.lstrip()
            elif _width(line + token, size) <= max_width or _width(token, size) > max_width:
                line += token  # it fits, or it is too long for any line and is cut below anyway
            elif token[0] in _NO_LINE_START:
                line += token  # hang it: a line never starts with closing punctuation
                continue
            else:
                carry = ""
                while line and line[-1] in _NO_LINE_END:
                    carry, line = line[-1] + carry, line[:-1]
                if line.strip():
                    lines.append(line.rstrip())
                line = (carry + token).lstrip()
            # A token wider than a whole line (a long code or word) is cut by characters.
            while _width(line, size) > max_width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and _width(line[:cut], size) > max_width:
                    cut -= 1
                lines.append(line[:cut].rstrip())
                line = line[cut:].lstrip()
        if line.strip():
            lines.append(line.rstrip())
    return lines


def _text_lines(lines: list[str], *, top: float, size: int, line_height: int, **attrs: str) -> list[str]:
    extra = "".join(f' {k.replace("_", "-")}="{_text(v)}"' for k, v in attrs.items())
    out = []
    for i, line in enumerate(lines):
        baseline = top + (line_height - size) / 2 + size * 0.88 + i * line_height
        out.append(
            f'<text x="{_CENTER}" y="{baseline:.1f}" text-anchor="middle" font-size="{size}"{extra}>{_text(line)}</text>'
        )
    return out


def _arrow(y_from: float, y_to: float) -> list[str]:
    tip = y_to
    return [
        f'<line x1="{_CENTER}" y1="{y_from:.1f}" x2="{_CENTER}" y2="{tip - _ARROW_HEAD:.1f}" '
        f'stroke="{_INK}" stroke-width="1.5"/>',
        f'<polygon points="{_CENTER - 5},{tip - _ARROW_HEAD:.1f} {_CENTER + 5},{tip - _ARROW_HEAD:.1f} '
        f'{_CENTER},{tip:.1f}" fill="{_INK}"/>',
    ]


def _terminal(label: str, top: float) -> list[str]:
    x = _CENTER - _TERMINAL_WIDTH // 2
    return [
        f'<rect x="{x}" y="{top:.1f}" width="{_TERMINAL_WIDTH}" height="{_TERMINAL_HEIGHT}" '
        f'rx="{_TERMINAL_HEIGHT // 2}" fill="{_INK}"/>',
        *_text_lines([label], top=top + (_TERMINAL_HEIGHT - _NAME_LINE) / 2, size=_NAME_SIZE,
                     line_height=_NAME_LINE, fill="#ffffff", font_weight="600"),
    ]


def flowchart_svg(steps: Sequence[Mapping[str, str]], *, title: str = "") -> str:
    """Draw `steps` (each with "name" and optional "time_limit") top to bottom between 开始 and 结束.

    Returns a complete, self-contained `<svg>` document (role="img", with `<title>` and a `<desc>` listing the
    steps in words for screen readers). All text is escaped; the result is safe to inline in HTML.
    """
    inner = _BOX_WIDTH - 2 * _PAD_X
    heading = wrap_text(title, max_width=WIDTH - 2 * _MARGIN, size=_TITLE_SIZE)
    # The accessible name is the title as written, not its wrapped lines (no spaces inside Chinese words).
    accessible_title = _SPACES.sub(" ", _clean(title)).strip() or _("办理流程图")
    parts: list[str] = []
    descriptions: list[str] = []

    y: float = _MARGIN
    if heading:
        parts += _text_lines(heading, top=y, size=_TITLE_SIZE, line_height=_TITLE_LINE, font_weight="600",
                             fill="#212529")
        y += len(heading) * _TITLE_LINE + 10

    parts += _terminal(_("开始"), y)
    y += _TERMINAL_HEIGHT

    for number, step in enumerate(steps, start=1):
        name = _SPACES.sub(" ", _clean(step.get("name")).replace("\n", " ")).strip()
        limit = _SPACES.sub(" ", _clean(step.get("time_limit")).replace("\n", " ")).strip()
        name_lines = wrap_text(f"{number}. {name}", max_width=inner, size=_NAME_SIZE)
        limit_text = _("时限：%(limit)s") % {"limit": limit}
        limit_lines = wrap_text(limit_text, max_width=inner, size=_LIMIT_SIZE) if limit else []
        height = 2 * _PAD_Y + len(name_lines) * _NAME_LINE + len(limit_lines) * _LIMIT_LINE

        parts += _arrow(y, y + _ARROW_GAP)
        y += _ARROW_GAP
        parts.append(
            f'<rect x="{_MARGIN}" y="{y:.1f}" width="{_BOX_WIDTH}" height="{height}" rx="6" '
            f'fill="{_BOX_FILL}" stroke="{_INK}" stroke-width="1.5"/>'
        )
        parts += _text_lines(name_lines, top=y + _PAD_Y, size=_NAME_SIZE, line_height=_NAME_LINE,
                             fill="#212529", font_weight="600")
        parts += _text_lines(limit_lines, top=y + _PAD_Y + len(name_lines) * _NAME_LINE, size=_LIMIT_SIZE,
                             line_height=_LIMIT_LINE, fill=_MUTED)
        y += height
        descriptions.append(f"{number}. {name}" + (f"（{limit_text}）" if limit else ""))

    parts += _arrow(y, y + _ARROW_GAP)
    y += _ARROW_GAP
    parts += _terminal(_("结束"), y)
    y += _TERMINAL_HEIGHT + _MARGIN

    height_total = int(round(y))
    desc = " → ".join([_("开始"), *descriptions, _("结束")])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height_total}" width="{WIDTH}" '
        f'height="{height_total}" role="img" aria-label="{_text(accessible_title)}" font-family="{_FONT}">'
        f"<title>{_text(accessible_title)}</title>"
        f"<desc>{_text(desc)}</desc>"
        f'<rect x="0" y="0" width="{WIDTH}" height="{height_total}" fill="#ffffff"/>'
        + "".join(parts)
        + "</svg>"
    )
