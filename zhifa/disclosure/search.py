"""Chinese full-text search over published snapshots: rjieba tokens ranked with BM25 (docs/decisions/0005, 0034).

Two parts, one ranking (ADR 0034):
- the **base**: a bm25s index of the current snapshots up to an entry id (`SearchIndex.covers_through`), built only
  by the task `search_index_rebuild` (never in a request), stored once as a work file of the storage port, and
  loaded by each process from a local cache folder with memory-mapped arrays (the workers of one server share the
  pages);
- the **delta**: the current snapshots published after the base (`id > covers_through`), scored at query time from
  the tokens the publish service stored with each snapshot (`SearchTokens`), with the same BM25
  formula and the document frequencies of the base plus the delta. Each process keeps the delta it has read and
  reads only newer rows.

Freshness costs one query on two primary keys (the newest snapshot, the newest stored base), whatever the number of
entries. A withdrawal changes neither: the caller (`selectors.entry_search`) reads the hits back through
`_public()`, which keeps current snapshots only, so a withdrawn or superseded entry never appears whatever the
index holds.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
import threading
import uuid
import zipfile
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import bm25s
import numpy as np
import rjieba
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Subquery

from zhifa.common.storage import storage_from_settings
from zhifa.disclosure.models import PublicEntry, SearchIndex

log = logging.getLogger(__name__)

_STOP = frozenset("的 了 和 与 及 或 在 对 为 是 等 之 其 由 按 应 可 不 未 有 并 、 ， 。 ； ： （ ） 《 》 “ ” ？ ！".split())

# BM25 as bm25s computes it by default ("lucene": idf = ln(1 + (N - df + .5) / (df + .5)), tf / (tf + k1 · norm)).
K1, B = 1.5, 0.75
# Candidates returned per search: the caller keeps the current, filtered ones and shows at most 200.
CANDIDATES = 400
# The most rows a process reads into its delta. Beyond it (no base built yet on a large table, or a worker that
# has not run for a long time) the oldest unindexed snapshots wait for the task; the publication enqueued it.
DELTA_MAX = 20_000
_FILE_PREFIX = "search-index-"


def tokenize(text: str) -> list[str]:
    return [t for t in rjieba.cut_for_search(text.lower()) if t.strip() and t not in _STOP]


def entry_tokens(title: str, text: str) -> str:
    """What `SearchTokens.tokens` holds: the tokens of the title (twice: a hit in the name of a matter counts
    more than one in the article text) and of the search text, space-separated."""
    return " ".join(tokenize(f"{title} {title} {text}"))


def _doc_tokens(stored: str | None, title: str, text: str) -> list[str]:
    """The stored tokens; a snapshot stored without them (bulk-created) is tokenized here."""
    return stored.split() if stored is not None else tokenize(f"{title} {title} {text}")


# ---------------------------------------------------------------------------------------------------------------
# Building the base (the task only)
# ---------------------------------------------------------------------------------------------------------------


def file_name(name: str) -> str:
    return f"{_FILE_PREFIX}{name}.zip"


def search_index_build() -> SearchIndex:
    """Build the base index of the current snapshots, store it as a work file and record it; older ones go.

    Nothing is built when the newest stored base covers the newest snapshot and holds as many entries as are
    current up to it (a withdrawal or a superseded version since then makes a new base, without which results would
    still be right: they are read back through current snapshots).
    """
    newest = PublicEntry.objects.aggregate(m=Max("pk"))["m"] or 0  # the primary key's index: one lookup
    latest = SearchIndex.objects.order_by("-pk").first()
    if latest is not None and latest.covers_through >= newest and latest.entries == PublicEntry.objects.filter(
            is_current=True, pk__lte=latest.covers_through).count():  # a count, in the task only
        return latest
    with transaction.atomic():  # one snapshot of the table on SQLite
        covers = PublicEntry.objects.aggregate(m=Max("pk"))["m"] or 0
        rows = PublicEntry.objects.filter(is_current=True, pk__lte=covers).order_by("pk").values_list(
            "pk", "tokens__tokens", "title", "search_text").iterator(chunk_size=5000)
        vocab: dict[str, int] = {}
        ids: list[int] = []
        docs: list[list[int]] = []
        for pk, tokens, title, text in rows:
            ids.append(pk)
            docs.append([vocab.setdefault(t, len(vocab)) for t in (_doc_tokens(tokens, title, text) or ["∅"])])
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    meta = {"covers_through": covers, "n_docs": len(ids), "avgdl": float(lengths.mean()) if len(ids) else 0.0}
    tmp = Path(tempfile.mkdtemp(prefix="search-build-"))
    try:
        folder = tmp / "index"
        folder.mkdir()
        if ids:
            retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
            retriever.index((docs, vocab), show_progress=False, create_empty_token=False)
            del docs
            retriever.save(folder)
        np.save(folder / "entry_ids.npy", np.asarray(ids, dtype=np.int64))
        (folder / "zhifa.json").write_text(json.dumps(meta))
        archive = tmp / "index.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:  # .npy files hardly compress
            for path in sorted(folder.iterdir()):
                zf.write(path, path.name)
        size = archive.stat().st_size
        name = uuid.uuid4().hex  # never reused, unlike a primary key after a rollback or a restore
        storage_from_settings(settings).file_put(file_name(name), archive)
        stored = SearchIndex.objects.create(name=name, covers_through=covers, entries=len(ids), size=size)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    backend = storage_from_settings(settings)
    for old in SearchIndex.objects.filter(pk__lt=stored.pk):
        backend.file_delete(file_name(old.name))  # a process still using it keeps its local copy
        old.delete()
    return stored


# ---------------------------------------------------------------------------------------------------------------
# Loading the base (once per process and base) and reading the delta (only rows it has not seen)
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class _Base:
    name: str
    covers_through: int
    n_docs: int
    avgdl: float
    entry_ids: np.ndarray
    retriever: bm25s.BM25 | None

    def df(self, term: str) -> int:
        if self.retriever is None:
            return 0
        tid = self.retriever.vocab_dict.get(term)
        indptr = self.retriever.scores["indptr"]
        if tid is None or tid + 1 >= len(indptr):
            return 0
        return int(indptr[tid + 1] - indptr[tid])

    def top(self, terms: list[str], k: int) -> list[tuple[float, int]]:
        if self.retriever is None or not self.n_docs:
            return []
        vocab = self.retriever.vocab_dict
        known = [vocab[t] for t in terms if t in vocab]
        if not known:
            return []
        scores = self.retriever.get_scores_from_ids(known)
        hit = np.flatnonzero(scores > 0)
        if len(hit) > k:
            hit = hit[np.argpartition(-scores[hit], k - 1)[:k]]
        return [(float(scores[i]), int(self.entry_ids[i])) for i in hit]


_EMPTY_BASE = _Base(name="", covers_through=0, n_docs=0, avgdl=0.0, entry_ids=np.zeros(0, dtype=np.int64),
                    retriever=None)


@dataclass
class _Delta:
    after: int  # the base's covers_through
    seen: int  # rows up to this id have been read
    seen_published: datetime | None = None  # of row `seen` (tells a reused id after a rollback, SQLite)
    lengths: dict[int, int] = field(default_factory=dict)
    postings: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    total_length: int = 0

    def add(self, pk: int, tokens: list[str]) -> None:
        self.lengths[pk] = len(tokens)
        self.total_length += len(tokens)
        for t in tokens:
            post = self.postings[t]
            post[pk] = post.get(pk, 0) + 1

    def top(self, terms: list[str], base: _Base) -> list[tuple[float, int]]:
        if not self.lengths:
            return []
        n = base.n_docs + len(self.lengths)
        avgdl = (base.avgdl * base.n_docs + self.total_length) / n
        scores: dict[int, float] = defaultdict(float)
        for t in terms:
            post = self.postings.get(t)
            if not post:
                continue
            df = base.df(t) + len(post)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for pk, tf in post.items():
                norm = K1 * ((1 - B) + B * self.lengths[pk] / avgdl)
                scores[pk] += idf * tf / (norm + tf)
        return [(s, pk) for pk, s in scores.items()]


_lock = threading.Lock()
_base: _Base = _EMPTY_BASE
_delta: _Delta = _Delta(after=0, seen=0)


def invalidate_search_index() -> None:
    """Forget what this process loaded (as a fresh process would start)."""
    global _base, _delta
    with _lock:
        _base = _EMPTY_BASE
        _delta = _Delta(after=0, seen=0)


def _cache_dir() -> Path:
    return Path(settings.DATA_DIR) / "cache" / "search"


def _local_copy(name: str) -> Path:
    """The unzipped base `name` in this server's cache folder, fetched from the storage port if not there yet."""
    root = _cache_dir()
    folder = root / name
    if (folder / "zhifa.json").exists():
        return folder
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    work = Path(tempfile.mkdtemp(prefix="fetch-", dir=root))
    try:
        archive = work / "index.zip"
        with closing(storage_from_settings(settings).file_open(file_name(name))) as src, open(archive, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        unpacked = work / "index"
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                zf.extract(Path(name).name, unpacked)
        try:
            unpacked.rename(folder)  # whole or not at all; another worker may have won
        except OSError:
            if not (folder / "zhifa.json").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


def _drop_other_copies(keep: str) -> None:
    """Remove the local copies of other bases: a worker that still maps one keeps its pages until it moves on."""
    root = _cache_dir()
    for other in root.iterdir() if root.exists() else ():
        if other.name != keep and not other.name.startswith("fetch-"):
            shutil.rmtree(other, ignore_errors=True)


def _load_base(name: str) -> _Base:
    folder = _local_copy(name)
    meta = json.loads((folder / "zhifa.json").read_text())
    retriever = bm25s.BM25.load(folder, mmap=True) if meta["n_docs"] else None
    ids = np.load(folder / "entry_ids.npy", mmap_mode="r")
    _drop_other_copies(name)
    return _Base(name=name, covers_through=int(meta["covers_through"]), n_docs=int(meta["n_docs"]),
                 avgdl=float(meta["avgdl"]), entry_ids=ids, retriever=retriever)


def _freshness() -> tuple[int, datetime | None, str]:
    """(newest snapshot id, its publication time, newest stored base): one query on two primary-key indexes."""
    newest_base = SearchIndex.objects.order_by("-pk").values("name")[:1]
    row = (PublicEntry.objects.order_by("-pk").annotate(base=Subquery(newest_base))
           .values_list("pk", "published_at", "base").first())
    if row is None:
        return 0, None, ""
    return row[0], row[1], row[2] or ""


def _refresh() -> tuple[_Base, _Delta]:
    global _base, _delta
    newest, published, base_name = _freshness()
    with _lock:
        if base_name != _base.name:
            try:
                _base = _load_base(base_name) if base_name else _EMPTY_BASE
            except (OSError, ValueError, KeyError, zipfile.BadZipFile):
                log.exception("search index %s could not be loaded; searching the delta only", base_name)
                _base = _EMPTY_BASE
        delta = _delta
        stale = delta.after != _base.covers_through or newest < delta.seen or (
            newest == delta.seen and published != delta.seen_published and delta.seen > delta.after)
        if stale:
            delta = _Delta(after=_base.covers_through, seen=_base.covers_through)
        if newest > delta.seen:
            room = DELTA_MAX - len(delta.lengths)
            rows = (PublicEntry.objects.filter(pk__gt=delta.seen, pk__lte=newest, is_current=True)
                    .order_by("-pk").values_list("pk", "tokens__tokens", "title", "search_text")[:max(room, 0)])
            for pk, tokens, title, text in rows:
                delta.add(pk, _doc_tokens(tokens, title, text))
            delta.seen, delta.seen_published = newest, published
        _delta = delta
        return _base, delta


def search_entry_ids(query: str, *, limit: int = CANDIDATES) -> list[int]:
    """Ids of public entries matching `query`, best first (the caller keeps the current ones). Empty for an empty
    query. Never builds an index."""
    terms = tokenize(query)
    if not terms:
        return []
    base, delta = _refresh()
    with _lock:  # another thread may be adding rows to this delta
        newer = delta.top(terms, base)
    hits = base.top(terms, limit) + newer
    hits.sort(key=lambda h: (-h[0], -h[1]))
    return [pk for _score, pk in hits[:limit]]
