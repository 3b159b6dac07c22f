"""Chinese full-text search over published snapshots: rjieba tokens ranked with BM25 (docs/decisions/0005).

The index is shared by every app server (ADR 0028): a task (`search_index_rebuild`, enqueued after each
publication or withdrawal and hourly by the worker) builds it and stores it in the database (`SearchIndex`), keyed
by the generation of the set of current snapshots. Each process keeps the newest stored index it has loaded and
checks the generation with one cheap aggregate query per search; should a search find no stored index for the
current generation (the task has not run yet), it builds and stores that index itself, so results are never stale.
"""

from __future__ import annotations

import io
import json
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import bm25s
import rjieba
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q

from zhifa.disclosure.models import PublicEntry, SearchIndex

_STOP = frozenset("的 了 和 与 及 或 在 对 为 是 等 之 其 由 按 应 可 不 未 有 并 、 ， 。 ； ： （ ） 《 》 “ ” ？ ！".split())


def tokenize(text: str) -> list[str]:
    return [t for t in rjieba.cut_for_search(text.lower()) if t.strip() and t not in _STOP]


@dataclass
class _Index:
    generation: str
    entry_ids: list[int]
    retriever: bm25s.BM25 | None


_lock = threading.Lock()
_index: _Index | None = None


def _generation() -> str:
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
    values = [agg["n"], agg["current"], agg["last"], agg["published"], agg["withdrawn"]]
    return json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values])


def invalidate_search_index() -> None:
    global _index
    with _lock:
        _index = None


def _pack(retriever: bm25s.BM25) -> bytes:
    """bm25s's own saved files (JSON and .npy arrays, no pickles), zipped."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        retriever.save(folder)
        for path in sorted(Path(folder).iterdir()):
            zf.write(path, path.name)
    return buffer.getvalue()


def _unpack(data: bytes) -> bm25s.BM25:
    with tempfile.TemporaryDirectory() as folder:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                (Path(folder) / Path(name).name).write_bytes(zf.read(name))
        return bm25s.BM25.load(folder)


def search_index_build() -> SearchIndex:
    """Build the index of the current snapshots and store it (once per generation; older ones are removed)."""
    generation = _generation()
    stored = SearchIndex.objects.filter(generation=generation).first()
    if stored is not None:
        return stored
    rows = list(PublicEntry.objects.filter(is_current=True).values_list("id", "title", "search_text"))
    ids = [r[0] for r in rows]
    # The title counts twice: a hit in the name of a matter matters more than one in the article text.
    corpus = [tokenize(f"{title} {title} {text}") or ["∅"] for _id, title, text in rows]
    data = b""
    if corpus:
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        data = _pack(retriever)
    try:
        with transaction.atomic():
            stored = SearchIndex.objects.create(generation=generation, entry_ids=ids, data=data)
    except IntegrityError:  # another server or the task stored it meanwhile
        return SearchIndex.objects.get(generation=generation)
    SearchIndex.objects.exclude(pk=stored.pk).delete()
    return stored


def _load(generation: str) -> _Index:
    stored = SearchIndex.objects.filter(generation=generation).first() or search_index_build()
    data = bytes(stored.data)
    return _Index(stored.generation, list(stored.entry_ids), _unpack(data) if data else None)


def search_entry_ids(query: str, *, limit: int = 200) -> list[int]:
    """Ids of current public entries matching `query`, best first. Empty for an empty query."""
    global _index
    terms = tokenize(query)
    if not terms:
        return []
    generation = _generation()
    with _lock:
        if _index is None or _index.generation != generation:
            _index = _load(generation)
        index = _index
    if index.retriever is None:
        return []
    k = min(limit, len(index.entry_ids))
    docs, scores = index.retriever.retrieve([terms], k=k, show_progress=False)
    return [index.entry_ids[int(d)] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
