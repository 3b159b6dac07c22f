"""Archive packages: one stream of the ledger (or all of it), its evidence files, inclusion proofs and a signed
checkpoint, as a BagIt bag (RFC 8493) that `zhifa.records.verify` checks offline. See docs/decisions/0009-ledger.md.

`archive_export` signs a fresh checkpoint first (so every exported entry is under it), then writes the payload in one
pass, hashing each file as it is written: entries in seq order, their inclusion proofs (read in batches from the
stored perfect subtrees), the whole ledger's leaf hashes (so a deleted row shows as a gap), the referenced blobs,
a Chinese index page, then the manifests. A blob's manifest line carries the SHA-256 the ledger recorded, not the
one of the bytes found: a blob damaged or lost in the store therefore makes the bag itself fail validation, with
any BagIt tool. The package is assembled in a temporary folder beside the output and renamed into place at the end.

Personal data (issue 9 defect 8, ADR 0018): the ledger entries hold only masked names and salted commitments. A
package carries the personal data of the stream's vault records (`data/personal.json`: the decrypted values and the
salts that open the commitments) only when its recipient's role allows it (`PERSONAL_DATA_ROLES`: archivist, agency
head); `bag-info.txt` says which (`Zhifa-Personal-Data: included` or `withheld`), and so does the index page.
Evidence files and issued documents are the record itself and are exported as stored (a served decision names its
party, as the law requires).

`checkpoint_with_consistency` produces the "later checkpoint" file the verifier accepts with `--checkpoint`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import bagit
from django.conf import settings
from django.utils import timezone

from zhifa.accounts.roles import Role
from zhifa.records import ledger, merkle, personal, verify
from zhifa.records.blobstore import BlobStore, default_store, human_size
from zhifa.records.checkpoints import checkpoint_create, public_key, sm2_public_key
from zhifa.records.models import LedgerEntry, LedgerNode, PersonalRecord

ALL_STREAMS = "*"
SHANGHAI = ZoneInfo("Asia/Shanghai")
_ENTRY_BATCH = 500
_LEAF_BATCH = 5000
_COPY_CHUNK = 1024 * 1024
_ALGORITHMS = ("sha256", "sha512")
_KIND_LABELS = {"access.read": "调阅", "evidence.added": "证据入库", "evidence.integrity": "完整性核验",
                "disclosure.publish": "公示发布", "disclosure.correct": "公示更正", "disclosure.withdraw": "公示撤回",
                "disclosure.expire": "公示期满"}


#: Roles of a recipient to whom a package may carry the parties' personal data (ADR 0018).
PERSONAL_DATA_ROLES = frozenset({Role.ARCHIVIST, Role.AGENCY_HEAD})


def personal_data_allowed(recipient: Any) -> bool:
    """Whether a package for `recipient` (a user, or None for nobody in particular) may carry personal data."""
    return recipient is not None and bool(recipient.has_role(*PERSONAL_DATA_ROLES))


#: progress(done, total): evidence files copied so far, of how many.
Progress = Callable[[int, int], None]

#: A source of content-addressed files that entries refer to but that the blob store does not hold (the portal's
#: published snapshots, ADR 0045): given a SHA-256, the bytes, or None if it does not know them. Apps above records
#: register one in their AppConfig.ready (records never imports them).
BlobSource = Callable[[str], bytes | None]
_blob_sources: list[BlobSource] = []


def register_blob_source(source: BlobSource) -> None:
    """Register a source `_copy_blob` asks when the blob store does not hold a referenced file (idempotent)."""
    if source not in _blob_sources:
        _blob_sources.append(source)


def _from_sources(sha: str) -> bytes | None:
    for source in _blob_sources:
        data = source(sha)
        if data is not None:
            return data
    return None


class ArchiveError(Exception):
    """The package cannot be written (bad output folder, unknown stream)."""


@dataclass
class ExportResult:
    path: Path
    stream: str
    entries: int = 0
    blobs: int = 0
    checkpoint_size: int = 0
    checkpoint_root: bytes = b""
    personal_data: bool = False  # data/personal.json written (the recipient's role allows it)
    personal_records: int = 0
    problems: list[str] = field(default_factory=list)  # what was wrong in the store, in Chinese


class _PayloadFile:
    """A payload file written and hashed (every manifest algorithm) in the same pass."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._hashers = {alg: hashlib.new(alg) for alg in _ALGORITHMS}
        self.size = 0

    def write(self, data: bytes | str) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self._f.write(raw)
        for h in self._hashers.values():
            h.update(raw)
        self.size += len(raw)

    def close(self) -> dict[str, str]:
        self._f.close()
        return {alg: h.hexdigest() for alg, h in self._hashers.items()}


class _Bag:
    """Collects the manifest lines while the payload is written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest: dict[str, dict[str, str]] = {}
        self.payload_bytes = 0
        self.payload_files = 0

    def open(self, rel: str) -> _PayloadFile:
        return _PayloadFile(self.root / rel)

    def done(self, rel: str, f: _PayloadFile, *, declared_sha256: str | None = None) -> dict[str, str]:
        """Close `f` and list it; `declared_sha256` replaces the computed SHA-256 in the manifest. Returns the
        digests of the bytes actually written."""
        digests = f.close()
        self.manifest[rel] = {**digests, "sha256": declared_sha256 or digests["sha256"]}
        self.payload_bytes += f.size
        self.payload_files += 1
        return digests

    def write_file(self, rel: str, content: str) -> None:
        f = self.open(rel)
        f.write(content)
        self.done(rel, f)

    def finish(self, info: dict[str, str]) -> None:
        (self.root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", "utf-8")
        info = {**info, "Payload-Oxum": f"{self.payload_bytes}.{self.payload_files}"}
        lines = [f"{k}: {' '.join(str(v).split())}" for k, v in info.items()]
        (self.root / "bag-info.txt").write_text("\n".join(lines) + "\n", "utf-8")
        for alg in _ALGORITHMS:
            rows = [f"{d[alg]}  {rel}" for rel, d in sorted(self.manifest.items()) if alg in d]
            (self.root / f"manifest-{alg}.txt").write_text("\n".join(rows) + "\n", "utf-8")
        tag_files = ["bagit.txt", "bag-info.txt", *(f"manifest-{alg}.txt" for alg in _ALGORITHMS)]
        for alg in _ALGORITHMS:
            rows = [f"{hashlib.new(alg, (self.root / t).read_bytes()).hexdigest()}  {t}" for t in tag_files]
            (self.root / f"tagmanifest-{alg}.txt").write_text("\n".join(rows) + "\n", "utf-8")


# --- proofs from the stored perfect subtrees, in batches ---------------------------------------------------------


def _inclusion_proofs(seqs: Sequence[int], size: int) -> dict[int, list[bytes] | None]:
    """Inclusion proofs of many entries with one LedgerNode query (None where a stored subtree is missing)."""
    plans = {seq: [merkle.perfect_blocks(a, b) for a, b in merkle.inclusion_ranges(seq, size)] for seq in seqs}
    wanted = {block for plan in plans.values() for blocks in plan for block in blocks}
    keys = {ledger.node_key(level, index): (level, index) for level, index in wanted}
    found = {keys[k]: bytes(h) for k, h in LedgerNode.objects.filter(key__in=list(keys)).values_list("key", "hash")}
    proofs: dict[int, list[bytes] | None] = {}
    for seq, plan in plans.items():
        if all(b in found for blocks in plan for b in blocks):
            proofs[seq] = [merkle.fold_blocks([found[b] for b in blocks]) for blocks in plan]
        else:
            proofs[seq] = None
    return proofs


def checkpoint_with_consistency(old_size: int) -> str:
    """A fresh signed checkpoint followed by a consistency proof from `old_size` (the verifier's --checkpoint)."""
    checkpoint = checkpoint_create()
    if not 0 <= old_size <= checkpoint.size:
        raise ArchiveError(f"旧树大小 {old_size} 超出当前账本长度 {checkpoint.size}。")
    proof = ledger.consistency_proof(old_size, checkpoint.size)
    return checkpoint.note + "\n" + verify.format_consistency(old_size, checkpoint.size, proof)


# --- the index page -----------------------------------------------------------------------------------------------


def _local_time(value: Any) -> str:
    try:
        return datetime.fromisoformat(str(value)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(value or "")


def _summary(payload: Any, limit: int = 160) -> str:
    if not isinstance(payload, dict):
        return str(payload)[:limit]
    parts = []
    for key, value in payload.items():
        if value in (None, "", [], {}):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        parts.append(f"{key}：{text}")
    text = "；".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222;line-height:1.5}
h1{font-size:1.5em}table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left;font-size:.9em}
th{background:#f2f2f2}code{font-size:.85em;word-break:break-all}.meta th{width:12em}
"""


def _index_head(stream: str, info: dict[str, str], vkey: str, with_personal: bool) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in [
        ("记录流", e(stream if stream != ALL_STREAMS else "全部记录流")),
        ("记录条数", e(info["entries"])),
        ("日志名称", f"<code>{e(info['origin'])}</code>"),
        ("检查点树大小", e(info["size"])),
        ("检查点根哈希", f"<code>{e(info['root'])}</code>"),
        ("导出时间", e(info["exported"])),
        ("日志公钥", f"<code>{e(vkey)}</code>"),
        ("个人信息", e("包含（data/personal.json，接收人角色允许）" if with_personal
                       else "不包含（账本中仅有脱敏姓名和加盐承诺值）")),
    ])
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>执法记录归档包：{e(stream)}</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>行政执法全过程记录归档包</h1>\n<table class=\"meta\">{rows}</table>\n"
        "<p>本包为 BagIt 格式。每条记录的规范化内容见 <code>entries.jsonl</code>，包含证明见 <code>proofs.json</code>，"
        "已签名检查点见 <code>checkpoint.txt</code>。离线核验（无需数据库和网络）："
        "<code>python -m zhifa.records.verify 本包目录 --key 事先取得的日志公钥</code>"
        "（或 <code>zhifa verify</code>）。请勿以本页面内容代替核验结果。</p>\n"
        "<h2>记录</h2>\n<table><thead><tr><th>序号</th><th>时间（北京时间）</th><th>类别</th><th>操作人</th>"
        "<th>内容摘要</th><th>证据文件</th></tr></thead><tbody>\n"
    )


def _index_row(seq: int, content: Any) -> str:
    e = html.escape
    if not isinstance(content, dict):
        return f"<tr><td>{seq}</td><td colspan=\"5\">（内容无法解析）</td></tr>\n"
    kind = str(content.get("kind", ""))
    label = _KIND_LABELS.get(kind)
    actor = content.get("actor")
    actor_name = actor.get("name") or actor.get("username", "") if isinstance(actor, dict) else "系统"
    payload = content.get("payload")
    links = []
    for ref in content.get("blobs") or []:
        sha = ref.get("sha256", "") if isinstance(ref, dict) else ""
        if not verify.SHA256_RE.match(str(sha)):
            continue
        name = payload.get("original_filename") if isinstance(payload, dict) and len(content["blobs"]) == 1 else ""
        text = f"{name or sha[:16] + '…'}（{ref.get('content_type', '')}，{human_size(int(ref.get('size') or 0))}）"
        links.append(f"<a href=\"blobs/{sha}\">{e(text)}</a>")
    kind_cell = f"{e(label)}<br><code>{e(kind)}</code>" if label else f"<code>{e(kind)}</code>"
    return (
        f"<tr><td>{seq}</td><td>{e(_local_time(content.get('time')))}</td><td>{kind_cell}</td>"
        f"<td>{e(str(actor_name))}</td><td>{e(_summary(payload))}</td><td>{'<br>'.join(links)}</td></tr>\n"
    )


# --- export -------------------------------------------------------------------------------------------------------


def _entry_batches(stream: str, size: int) -> Iterable[list[tuple[int, bytes, bytes]]]:
    """The stream's entries below `size`, in seq order, in batches (keyset pagination: no open cursor)."""
    qs = LedgerEntry.objects.filter(seq__lt=size)
    if stream != ALL_STREAMS:
        qs = qs.filter(stream=stream)
    last = -1
    while True:
        rows = list(qs.filter(seq__gt=last).order_by("seq").values_list("seq", "canonical", "leaf_hash")[:_ENTRY_BATCH])
        if not rows:
            return
        yield [(seq, bytes(canonical), bytes(leaf)) for seq, canonical, leaf in rows]
        last = rows[-1][0]


def _safe_name(stream: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "-", stream).strip("-") or "all"


def default_output(stream: str) -> Path:
    stamp = timezone.now().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M%S")
    return Path(settings.DATA_DIR) / "archives" / f"{_safe_name(stream)}-{stamp}"


def archive_export(
    *, stream: str, output: Path | str, include_leaves: bool = True, store: BlobStore | None = None,
    recipient: Any = None, progress: Progress | None = None,
) -> ExportResult:
    """Write the package for `stream` ("*" for every stream) to the folder `output`, which must not exist yet.
    The parties' personal data goes in only if `recipient`'s role allows it (`personal_data_allowed`).
    `progress(done, total)` is called as the evidence files are copied (the background task shows it, ADR 0028)."""
    output = Path(output)
    if output.exists():
        raise ArchiveError(f"输出目录 {output} 已存在；请指定一个新的目录。")
    if stream != ALL_STREAMS and not LedgerEntry.objects.filter(stream=stream).exists():
        raise ArchiveError(f"账本中没有记录流 {stream} 的记录。")
    store = store or default_store()
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        result = _write_package(work, stream, include_leaves, store, personal_data_allowed(recipient), progress)
        os.rename(work, output)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    os.chmod(output, 0o755)
    result.path = output
    return result


def _write_personal(bag: _Bag, stream: str) -> int:
    """data/personal.json: the stream's vault records, decrypted, with the salts that open the ledger's
    commitments (erased records are listed as erased)."""
    qs = PersonalRecord.objects.order_by("pk")
    if stream != ALL_STREAMS:
        qs = qs.filter(stream=stream)
    rows = []
    for record in qs:
        row: dict[str, Any] = {"personal_record": str(record.public_id), "stream": record.stream,
                               "commitment": personal.commitment_algorithm(record)}
        try:
            content = personal._decrypt(record)
            row.update(values=content.get("values") or {}, salt=content.get("salt"))
        except personal.PersonalDataErased:
            row.update(erased=True, erased_at=record.erased_at.isoformat() if record.erased_at else None)
        rows.append(row)
    bag.write_file(verify.PERSONAL, json.dumps({"personal_records": rows}, ensure_ascii=False, indent=1) + "\n")
    return len(rows)


def _write_package(root: Path, stream: str, include_leaves: bool, store: BlobStore,
                   with_personal: bool = False, progress: Progress | None = None) -> ExportResult:
    checkpoint = checkpoint_create()  # a fresh signed head: every entry exported below is under it
    size, tree_root = checkpoint.size, bytes(checkpoint.root)
    vkey = public_key()
    exported_at = timezone.now()
    result = ExportResult(path=root, stream=stream, checkpoint_size=size, checkpoint_root=tree_root)
    bag = _Bag(root)
    origin = settings.ZHIFA_LEDGER_ORIGIN
    count_qs = LedgerEntry.objects.filter(seq__lt=size)
    if stream != ALL_STREAMS:
        count_qs = count_qs.filter(stream=stream)
    info = {
        "entries": str(count_qs.count()), "origin": origin, "size": str(size),
        "root": base64.b64encode(tree_root).decode(),
        "exported": exported_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
    }

    entries_f = bag.open(verify.ENTRIES)
    proofs_f = bag.open(verify.PROOFS)
    index_f = bag.open(verify.INDEX)
    proofs_f.write(
        "{" + f'"format":"{verify.FORMAT}","hash":"SHA-256","log_origin":{json.dumps(origin)},"tree_size":{size},'
        f'"root_hash":"{info["root"]}","inclusion":{{' + "\n"
    )
    index_f.write(_index_head(stream, info, vkey, with_personal))
    refs: dict[str, tuple[int, str, int]] = {}  # sha256 -> (size, content type, first seq)
    first_proof = True
    for batch in _entry_batches(stream, size):
        proofs = _inclusion_proofs([seq for seq, _c, _l in batch], size)
        for seq, canonical, leaf in batch:
            line: dict[str, Any] = {"seq": seq, "leaf_hash": leaf.hex()}
            try:
                line["canonical"] = canonical.decode("utf-8")
            except UnicodeDecodeError:
                line["canonical_base64"] = base64.b64encode(canonical).decode()
            entries_f.write(json.dumps(line, ensure_ascii=False) + "\n")
            try:
                content = json.loads(canonical)
            except ValueError:
                content = None
                result.problems.append(f"第 {seq} 条记录的内容不是 JSON。")
            index_f.write(_index_row(seq, content))
            for ref in (content.get("blobs") or []) if isinstance(content, dict) else []:
                sha = ref.get("sha256") if isinstance(ref, dict) else None
                if isinstance(sha, str) and verify.SHA256_RE.match(sha) and isinstance(ref.get("size"), int):
                    refs.setdefault(sha, (ref["size"], str(ref.get("content_type", "")), seq))
                else:
                    result.problems.append(f"第 {seq} 条记录的证据文件引用格式错误，未导出：{ref!r:.80}")
            proof = proofs[seq]
            if proof is None:
                result.problems.append(f"第 {seq} 条记录的包含证明无法生成：账本缺少子树哈希。")
            else:
                encoded = json.dumps([base64.b64encode(h).decode() for h in proof])
                proofs_f.write(("" if first_proof else ",\n") + f'"{seq}":{encoded}')
                first_proof = False
            result.entries += 1
    proofs_f.write("\n}}\n")
    bag.done(verify.ENTRIES, entries_f)
    bag.done(verify.PROOFS, proofs_f)

    if progress:
        progress(0, len(refs))
    for done, (sha, (blob_size, _ctype, seq)) in enumerate(sorted(refs.items()), start=1):
        _copy_blob(bag, store, sha, blob_size, seq, result)
        if progress:
            progress(done, len(refs))
    result.blobs = len(refs)
    index_f.write(
        f"</tbody></table>\n<p>共 {result.entries} 条记录、{result.blobs} 个证据文件。"
        "证据文件以其 SHA-256 命名，位于 <code>blobs/</code> 目录。</p>\n</body></html>\n"
    )
    bag.done(verify.INDEX, index_f)

    bag.write_file(verify.CHECKPOINT, checkpoint.note)
    bag.write_file(verify.PUBLIC_KEY, vkey + "\n")
    if sm2_vkey := sm2_public_key():  # SM mode: the SM2 co-signing key, so the verifier checks that signature too
        bag.write_file(verify.SM2_PUBLIC_KEY, sm2_vkey + "\n")
    if include_leaves:
        _write_leaves(bag, size)
    if with_personal:
        result.personal_records = _write_personal(bag, stream)
    result.personal_data = with_personal

    bag.finish({
        "Source-Organization": origin,
        "External-Description": f"行政执法全过程记录归档包：记录流 {stream}，{result.entries} 条记录，"
        f"{result.blobs} 个证据文件，检查点树大小 {size}",
        "Bagging-Date": exported_at.astimezone(SHANGHAI).date().isoformat(),
        "Bag-Software-Agent": f"zhifa archive ({verify.FORMAT}); bagit.py {getattr(bagit, 'VERSION', '')}".strip(),
        "Zhifa-Format": verify.FORMAT,
        "Zhifa-Stream": stream,
        "Zhifa-Log-Origin": origin,
        "Zhifa-Checkpoint-Size": str(size),
        "Zhifa-Checkpoint-Root": info["root"],
        "Zhifa-Entry-Count": str(result.entries),
        "Zhifa-Blob-Count": str(result.blobs),
        "Zhifa-Exported-At": exported_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "Zhifa-Export-Problems": str(len(result.problems)),
        "Zhifa-Personal-Data": "included" if with_personal else "withheld",
    })
    return result


def _copy_blob(bag: _Bag, store: BlobStore, sha: str, size: int, seq: int, result: ExportResult) -> None:
    rel = f"{verify.BLOBS}/{sha}"
    try:
        source: Any = store.open(sha)
    except FileNotFoundError:
        data = _from_sources(sha)
        source = io.BytesIO(data) if data is not None else None
    if source is None:
        # Listed in the SHA-256 manifest without a file: the bag is incomplete, as the store is.
        bag.manifest[rel] = {"sha256": sha}
        result.problems.append(f"证据文件 {sha}（第 {seq} 条引用）在存储中缺失，未能导出。")
        return
    f = bag.open(rel)
    try:
        while chunk := source.read(_COPY_CHUNK):
            f.write(chunk)
    finally:
        source.close()
    actual = bag.done(rel, f, declared_sha256=sha)  # the ledger's hash: a damaged copy fails bag validation
    if actual["sha256"] != sha or f.size != size:
        result.problems.append(f"证据文件 {sha}（第 {seq} 条引用）在存储中已损坏：内容与账本记录的哈希或大小不符。")


def _write_leaves(bag: _Bag, size: int) -> None:
    f = bag.open(verify.LEAVES)
    last = -1
    while True:
        rows = list(
            LedgerEntry.objects.filter(seq__gt=last, seq__lt=size).order_by("seq").values_list("seq", "leaf_hash")[
                :_LEAF_BATCH
            ]
        )
        if not rows:
            break
        f.write("".join(f"{seq} {bytes(leaf).hex()}\n" for seq, leaf in rows))
        last = rows[-1][0]
    bag.done(verify.LEAVES, f)
