"""The law library of the demo: every law and article of `registry/data/laws.json`, loaded verbatim.

Nothing here is invented: article texts, numbers and parsed penalties are copied from the file (see
../shared/domain/laws.md for its sources). Power items may only cite articles that this module loaded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from zhifa.registry import models as reg
from zhifa.registry.demo.numerals import article_label

LAWS_JSON = Path(__file__).resolve().parent.parent / "data" / "laws.json"

_LEVELS = {"法律": reg.LawLevel.LAW, "行政法规": reg.LawLevel.ADMINISTRATIVE_REGULATION}


@cache
def laws_data() -> list[dict[str, Any]]:
    """The parsed laws.json (a list of laws, each with its articles)."""
    with LAWS_JSON.open(encoding="utf-8") as fh:
        return json.load(fh)["laws"]


def _summary(raw: dict[str, Any]) -> str:
    """The parsed violation of a penalty article; otherwise the first sentence of the text (both ≤ 200)."""
    penalty = raw.get("penalty")
    if penalty and penalty.get("violation"):
        return penalty["violation"][:200]
    first = re.split(r"(?<=[。；])", raw["text"].split("\n", 1)[0], maxsplit=1)[0]
    return first if len(first) <= 80 else first[:79] + "…"


@dataclass
class LawIndex:
    """Loaded laws and articles, looked up by short name (水法) or full title and article number."""

    laws: dict[str, reg.Law] = field(default_factory=dict)
    articles: dict[tuple[str, int], reg.Article] = field(default_factory=dict)
    raw: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    sectors: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # short name → full title

    def article(self, law: str, number: int) -> reg.Article:
        return self.articles[(law, number)]

    def has(self, law: str, number: int) -> bool:
        return (law, number) in self.articles

    def penalty(self, law: str, number: int) -> dict[str, Any]:
        return self.raw[(law, number)]["penalty"]

    def enforced(self, law: str, number: int) -> list[reg.Article]:
        """The prohibition/duty articles a penalty article enforces, where laws.json holds them."""
        labels = self.penalty(law, number).get("enforces") or []
        by_label = {a.label: a for (short, _n), a in self.articles.items() if short == law}
        return [by_label[label] for label in labels if label in by_label]

    def cite(self, law: str, numbers: list[int]) -> str:
        """《中华人民共和国水法》第三十七条、第六十五条."""
        return f"《{self.titles[law]}》" + "、".join(self.article(law, n).label for n in numbers)


def load_laws() -> LawIndex:
    """Create (or reuse) every Law and Article of laws.json and return the index."""
    index = LawIndex()
    for raw_law in laws_data():
        short = raw_law["short_name"]
        version = date.fromisoformat(raw_law["version_date"])
        in_force = raw_law.get("version_in_force_date_per_npc_db") or raw_law["version_date"]
        law, _created = reg.Law.objects.get_or_create(
            title=raw_law["name"], version_date=version,
            defaults={
                "issuer": raw_law["issuer"],
                "level": _LEVELS[raw_law["law_type"]],
                "sector": raw_law["sector"],
                "effective_from": date.fromisoformat(in_force),
                "source_url": raw_law.get("official_url") or "",
            },
        )
        index.laws[short] = law
        index.sectors[short] = raw_law["sector"]
        index.titles[short] = raw_law["name"]
        existing = {a.number: a for a in law.articles.all()}
        new: list[reg.Article] = []
        for raw in raw_law["articles"]:
            label = article_label(raw["n"])
            if label != raw["number"]:  # the numeral helper and the file must agree
                raise ValueError(f"{short} {raw['number']}: computed label {label}")
            index.raw[(short, raw["n"])] = raw
            if raw["n"] in existing:
                index.articles[(short, raw["n"])] = existing[raw["n"]]
                continue
            new.append(reg.Article(
                law=law, number=raw["n"], label=label, text=raw["text"], summary=_summary(raw),
                is_penalty_article=raw["kind"] == "penalty", penalty=raw.get("penalty"),
            ))
        for article in reg.Article.objects.bulk_create(new):
            index.articles[(short, article.number)] = article
    # bulk_create on SQLite returns objects with pks; reload once so every object has its public_id and pk.
    by_pk = {a.pk: a for a in reg.Article.objects.filter(pk__in=[a.pk for a in index.articles.values()])}
    index.articles = {key: by_pk[a.pk] for key, a in index.articles.items()}
    return index
