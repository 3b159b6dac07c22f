"""Fictional staff names for the demo, generated deterministically.

The seeds print real officials' names; none of them may appear in the demo (docs/decisions/0007-demo-county.md).
Names are drawn with a fixed-seed `random.Random` from common surnames and given-name characters, so every run
produces the same people, and any name that the seeds print is skipped.
"""

from __future__ import annotations

import random

# Names of real persons printed in ../shared/seeds/*.txt. Never generate them.
SEED_NAMES = frozenset({
    "姚维", "王文雄", "孙建军", "李四红", "姚敏", "王六平", "何振宇", "张玉春", "赵忠", "张志武", "任玉山", "张旭",
    "张志明", "张曙光", "史利", "石宝存", "常君华", "杨恩荣", "杜建军", "杜鹏", "兰治国", "杨清", "杨军",
})

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁沈"
_GIVEN = "伟芳娜秀敏静丽强磊洋艳勇军杰娟涛明超霞平刚桂华建玉兰文红亮雪云志海波宁晨浩宇欣怡佳琳婷俊鹏辉斌凯琪瑶"


class NameGenerator:
    """Unique fictional names (surname + one or two given-name characters) from a fixed seed."""

    def __init__(self, seed: int = 20260101) -> None:
        self._rng = random.Random(seed)
        self._used: set[str] = set()

    def __call__(self) -> str:
        while True:
            surname = self._rng.choice(_SURNAMES)
            given = "".join(self._rng.choice(_GIVEN) for _ in range(self._rng.choice((1, 2, 2))))
            name = surname + given
            if name not in self._used and name not in SEED_NAMES and given[:1] != given[1:2]:
                self._used.add(name)
                return name
