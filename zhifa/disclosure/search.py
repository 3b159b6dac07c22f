"""Chinese full-text search over published snapshots: rjieba tokens ranked with BM25 (docs/decisions/0005).

The index lives in each process and is rebuilt when the set of current snapshots changes; the change is noticed
with one cheap aggregate query per search, so several app processes stay consistent without a shared cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import bm25s
import rjieba
from django.db.models import Count, Max, Q

from zhifa.disclosure.models import PublicEntry

_STOP = frozenset("的 了 和 与 及 或 在 对 为 是 等 之 其 由 按 应 可 不 未 有 并 、 ， 。 ； ： （ ） 《 》 “ ” ？ ！".split())


def tokenize(text: str) -> list[str]:
    return [t for t in rjieba.cut_for_search(text.lower()) if t.strip() and t not in _STOP]


@dataclass
class _Index:
    generation: tuple[object, ...]
    entry_ids: list[int]
    retriever: bm25s.BM25 | None


_lock = threading.Lock()
_index: _Index | None = None


def _generation() -> tuple[object, ...]:
    """One aggregate query that changes whenever the set of current snapshots does.

    Rows are only ever added (publish) or flagged (supersede, withdraw), so the row count, the newest id and
    publication time, the newest withdrawal time and the number of current rows together identify the state.
    The publication time also tells apart states that reuse ids after a rollback (SQLite reuses rowids).
    """
    agg = PublicEntry.objects.aggregate(
        n=Count("id"),
        current=Count("id", filter=Q(is_current=True)),
        last=Max("id"),
        published=Max("published_at"),
        withdrawn=Max("withdrawn_at"),
    )
    return (agg["n"], agg["current"], agg["last"], agg["published"], agg["withdrawn"])


def invalidate_search_index() -> None:
    global _index
    with _lock:
        _index = None


def _build(generation: tuple[object, ...]) -> _Index:
    rows = list(PublicEntry.objects.filter(is_current=True).values_list("id", "title", "search_text"))
    ids = [r[0] for r in rows]
    # The title counts twice: a hit in the name of a matter matters more than one in the article text.
    corpus = [tokenize(f"{title} {title} {text}") or ["∅"] for _id, title, text in rows]
    retriever = None
    if corpus:
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
    return _Index(generation, ids, retriever)


def search_entry_ids(query: str, *, limit: int = 200) -> list[int]:
    """Ids of current public entries matching `query`, best first. Empty for an empty query."""
    global _index
    terms = tokenize(query)
    if not terms:
        return []
    generation = _generation()
    with _lock:
        if _index is None or _index.generation != generation:
            _index = _build(generation)
        index = _index
    if index.retriever is None:
        return []
    k = min(limit, len(index.entry_ids))
    docs, scores = index.retriever.retrieve([terms], k=k, show_progress=False)
    return [index.entry_ids[int(d)] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
