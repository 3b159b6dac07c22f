"""Offline verifier of an exported archive package (architecture rule 5; docs/decisions/0009-ledger.md).

Pure Python: no Django, no database, no network. It needs only the package folder, the log's public key (pinned with
`--key`; the packaged copy is a fallback and says so), and optionally a checkpoint obtained elsewhere later or
earlier (`--checkpoint`), with a consistency proof if its size differs from the package's.

    python -m zhifa.records.verify PACKAGE [--key VKEY|FILE] [--checkpoint FILE]
    zhifa verify PACKAGE ...                       (the same, as a management command)

The package is a BagIt bag (RFC 8493) whose payload is:

    data/entries.jsonl     one JSON object per line: {"seq", "leaf_hash" (hex), "canonical" (the exact UTF-8 text
                           that was hashed; "canonical_base64" instead if the stored bytes are not UTF-8)}
    data/proofs.json       {"format", "log_origin", "tree_size", "root_hash", "inclusion": {"<seq>": [base64, ...]}}
    data/checkpoint.txt    the signed checkpoint (C2SP tlog-checkpoint signed note) all proofs refer to
    data/public-key.txt    the log's verifier key (name+keyid+base64), as the exporting system knew it
    data/leaves.txt        optional: "<seq> <hex leaf hash>" for every entry 0..size-1 of the whole ledger
    data/blobs/<sha256>    every evidence file an entry refers to
    data/index.html        a page for people

Checks, each reported with what failed and where: bag completeness and fixity (named files); the checkpoint's
signature; every entry's leaf hash recomputed from its canonical bytes; every inclusion proof against the signed
root; every referenced blob present with its SHA-256 and size; no unexpected payload file; the whole-ledger leaf list
gapless and hashing to the signed root; and consistency with the other checkpoint. Exit code 0 only if all pass.
A package of the public disclosure stream is also checked as a publication history (`verify_history`, ADR 0045);
`--as-of YYYY-MM-DD` lists what was public at the end of that day.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import logging
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import bagit

from zhifa.records import merkle, signednote, sm, verify_history

FORMAT = "zhifa-archive/1"
ENTRIES = "data/entries.jsonl"
PROOFS = "data/proofs.json"
CHECKPOINT = "data/checkpoint.txt"
PUBLIC_KEY = "data/public-key.txt"
SM2_PUBLIC_KEY = "data/sm2-public-key.txt"  # SM mode only (ADR 0020): the log's SM2 co-signing key, as a vkey
LEAVES = "data/leaves.txt"
INDEX = "data/index.html"
BLOBS = "data/blobs"
PERSONAL = "data/personal.json"  # only in packages for a recipient allowed personal data (ADR 0018)
CONSISTENCY = "consistency"  # first line of the proof block after a checkpoint note: "consistency <old> <new>"
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024
_KNOWN_FILES = {ENTRIES, PROOFS, CHECKPOINT, PUBLIC_KEY, SM2_PUBLIC_KEY, LEAVES, INDEX, PERSONAL}


def canonical_bytes(value: Any) -> bytes:
    """The ledger's canonical JSON (must equal `zhifa.records.ledger.canonical_bytes`; a test checks)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def parse_vkey(text: str) -> signednote.Verifier:
    """A C2SP verifier key "<name>+<hex key id>+<base64(alg ‖ key)>". The base64 part may itself contain "+", so
    split at the first two only (`signednote.Verifier.parse` splits at every "+" and refuses such keys)."""
    try:
        name, hex_id, b64 = text.strip().split("+", 2)
        raw = base64.b64decode(b64, validate=True)
        alg, public = raw[0], raw[1:]
    except (ValueError, IndexError, binascii.Error) as exc:
        raise signednote.NoteError(f"bad verifier key: {exc}") from exc
    if not signednote._public_ok(alg, public):
        raise signednote.NoteError("unsupported key")
    verifier = signednote.Verifier(name, alg, public)
    if verifier.id.hex() != hex_id:
        raise signednote.NoteError("key id does not match the key")
    return verifier


# --- findings and the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One failed check (or a warning): a Chinese and an English sentence, and where it applies."""

    zh: str
    en: str
    seq: int | None = None
    blob: str | None = None
    path: str | None = None

    def where(self) -> str:
        parts = []
        if self.seq is not None:
            parts.append(f"条目 seq {self.seq}")
        if self.blob is not None:
            parts.append(f"证据文件 blob sha256 {self.blob}")
        if self.path is not None:
            parts.append(f"文件 file {self.path}")
        return f"[{'；'.join(parts)}] " if parts else ""

    def line(self, label: str) -> str:
        return f"{label} {self.where()}{self.zh} / {self.en}"


@dataclass
class Report:
    failures: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stream: str = ""
    entries: int = 0
    blobs: int = 0
    checkpoint_size: int | None = None
    key_source: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, zh: str, en: str, **where: Any) -> None:
        self.failures.append(Finding(zh, en, **where))

    def warn(self, zh: str, en: str, **where: Any) -> None:
        self.warnings.append(Finding(zh, en, **where))

    def failed_seqs(self) -> set[int]:
        return {f.seq for f in self.failures if f.seq is not None}

    def failed_blobs(self) -> set[str]:
        return {f.blob for f in self.failures if f.blob is not None}

    def failed_paths(self) -> set[str]:
        return {f.path for f in self.failures if f.path is not None}

    def lines(self) -> list[str]:
        out = [f.line("失败 FAIL") for f in self.failures]
        out += [f.line("警告 WARNING") for f in self.warnings]
        out += [f"说明 NOTE {n}" for n in self.notes]
        out.append(self.summary())
        return out

    def summary(self) -> str:
        what = (
            f"记录流 {self.stream or '?'}，{self.entries} 条记录，{self.blobs} 个证据文件，检查点树大小 "
            f"{self.checkpoint_size if self.checkpoint_size is not None else '?'}；公钥：{self.key_source or '无'}"
        )
        what_en = (
            f"stream {self.stream or '?'}, {self.entries} entries, {self.blobs} blob(s), checkpoint size "
            f"{self.checkpoint_size if self.checkpoint_size is not None else '?'}; key: {self.key_source or 'none'}"
        )
        if self.ok:
            return f"核验通过 VERIFIED：{what} / all checks passed: {what_en}"
        return (
            f"核验失败 FAILED：{len(self.failures)} 项未通过；{what} / {len(self.failures)} check(s) failed: {what_en}"
        )


# --- checkpoint files with an optional consistency proof ----------------------------------------------------------


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    hashes: tuple[bytes, ...]


def format_consistency(old_size: int, new_size: int, proof: Sequence[bytes]) -> str:
    """The proof block that may follow a checkpoint note (after one blank line)."""
    lines = [f"{CONSISTENCY} {old_size} {new_size}"] + [base64.b64encode(h).decode() for h in proof]
    return "\n".join(lines) + "\n"


def split_checkpoint_file(text: str) -> tuple[str, str | None]:
    """(note, proof block or None). The note ends with its signature lines; the proof block, if any, follows a blank
    line and starts with "consistency "."""
    marker = f"\n\n{CONSISTENCY} "
    idx = text.find(marker)
    if idx < 0:
        return text, None
    return text[: idx + 1], text[idx + 2 :]


def parse_consistency(block: str) -> ConsistencyProof:
    lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
    head = lines[0].split() if lines else []
    if len(head) != 3 or head[0] != CONSISTENCY or not head[1].isdigit() or not head[2].isdigit():
        raise ValueError("bad consistency header")
    hashes = tuple(base64.b64decode(h, validate=True) for h in lines[1:])
    return ConsistencyProof(int(head[1]), int(head[2]), hashes)


# --- helpers ------------------------------------------------------------------------------------------------------


def _hash_file(path: Path, algorithms: Sequence[str]) -> dict[str, str]:
    hashers: dict[str, Any] = {alg: sm.sm3_new() if alg == "sm3" else hashlib.new(alg) for alg in algorithms}
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            for h in hashers.values():
                h.update(chunk)
    return {alg: h.hexdigest() for alg, h in hashers.items()}


def _try_hash(report: Report, path: Path, algorithms: Sequence[str], rel: str) -> dict[str, str] | None:
    try:
        return _hash_file(path, algorithms)
    except OSError as exc:
        report.fail(f"无法读取此文件：{exc}", f"cannot read the file: {exc}", path=rel)
        return None


def _read_text(report: Report, root: Path, rel: str, *, required: bool = True) -> str | None:
    path = root / rel
    if not path.is_file():
        if required:
            report.fail("包中缺少此文件", "file is missing from the package", path=rel)
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.fail(f"无法读取此文件：{exc}", f"cannot read the file: {exc}", path=rel)
        return None


def _lines(report: Report, root: Path, rel: str, *, required: bool = True) -> Iterator[tuple[int, str]] | None:
    """(line number, line) of a text file, read as it is iterated (large packages); None if the file is absent."""
    path = root / rel
    if not path.is_file():
        if required:
            report.fail("包中缺少此文件", "file is missing from the package", path=rel)
        return None

    def gen() -> Iterator[tuple[int, str]]:
        number = 0
        try:
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, start=1):
                    yield number, line.rstrip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            report.fail(f"无法读取此文件：{exc}", f"cannot read the file: {exc}", path=f"{rel}:{number + 1}")

    return gen()


def _ranges(numbers: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Consecutive runs of sorted integers as (first, last)."""
    start = prev = None
    for n in numbers:
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            assert prev is not None
            yield start, prev
            start = prev = n
    if start is not None and prev is not None:
        yield start, prev


def _span(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}–{last}"


# --- the checks ---------------------------------------------------------------------------------------------------


def _check_bag(report: Report, root: Path) -> dict[str, str]:
    """BagIt structure, completeness and fixity, each failure naming its file. Returns bag-info."""
    try:
        bag = bagit.Bag(str(root))
    except (bagit.BagError, OSError, ValueError) as exc:
        report.fail(f"不是有效的 BagIt 包：{exc}", f"not a valid BagIt bag: {exc}")
        return {}
    info = {k: (v[0] if isinstance(v, list) else v) for k, v in (bag.info or {}).items()}
    try:
        bag.validate(fast=True)  # structure, bagit.txt, fetch.txt and the Payload-Oxum (file count and bytes)
    except (bagit.BagError, OSError, ValueError) as exc:
        report.fail(f"BagIt 校验未通过：{exc}", f"BagIt validation failed: {exc}")
    if "sha256" not in bag.algorithms:
        report.fail("包没有 SHA-256 清单", "the bag has no SHA-256 manifest")
    only_in_manifests, only_on_fs = bag.compare_manifests_with_fs()
    for rel in sorted(only_in_manifests):
        report.fail("清单列出的文件不存在（文件缺失）", "file listed in the manifest is missing", path=rel)
    for rel in sorted(only_on_fs):
        report.fail("包中有清单未列出的文件（多出的文件）", "unexpected file not listed in the manifest", path=rel)
    for rel, expected in sorted(bag.entries.items()):
        path = root / rel
        if not path.is_file():
            if not rel.startswith("data/"):
                report.fail("标签清单列出的文件不存在", "tag file listed in the tag manifest is missing", path=rel)
            continue
        found = _try_hash(report, path, [alg for alg in expected if alg in hashlib.algorithms_available], rel)
        for alg, digest in (found or {}).items():
            if expected[alg].lower() != digest:
                report.fail(
                    f"{alg} 校验值与清单不符（文件内容已改变）",
                    f"{alg} checksum differs from the manifest (content changed)", path=rel,
                )
    return info


def _load_key(report: Report, root: Path, pinned: str | None) -> signednote.Verifier | None:
    packaged_text = _read_text(report, root, PUBLIC_KEY, required=pinned is None)
    packaged: signednote.Verifier | None = None
    if packaged_text is not None:
        try:
            packaged = parse_vkey(packaged_text)
        except signednote.NoteError as exc:
            report.fail(f"包内公钥无法解析：{exc}", f"the packaged public key does not parse: {exc}", path=PUBLIC_KEY)
    if pinned is None:
        if packaged is not None:
            report.key_source = f"包内公钥 packaged key {packaged.name}+{packaged.id.hex()}"
            report.warn(
                "只用了包内附带的公钥：它与包一起来，能证明包未被意外损坏，不能证明包的来源；"
                "请用 --key 指定事先从日志运营方取得的公钥",
                "only the packaged public key was used: it proves integrity, not origin; "
                "pin the log's key with --key", path=PUBLIC_KEY,
            )
        return packaged
    text = pinned
    try:
        if Path(pinned).is_file():
            text = Path(pinned).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.fail(f"无法读取公钥文件：{exc}", f"cannot read the key file: {exc}", path=pinned)
        return None
    try:
        verifier = parse_vkey(text)
    except signednote.NoteError as exc:
        report.fail(f"所给公钥（--key）无法解析：{exc}", f"the pinned key (--key) does not parse: {exc}")
        return None
    report.key_source = f"指定公钥 pinned key {verifier.name}+{verifier.id.hex()}"
    if packaged is not None and packaged != verifier:
        report.warn(
            "包内公钥与指定公钥不同；以指定公钥为准", "the packaged key differs from the pinned key; the pinned key is used",
            path=PUBLIC_KEY,
        )
    return verifier


def _load_sm2_key(report: Report, root: Path, pinned: str | None) -> signednote.Verifier | None:
    """The SM2 co-signing key: the pinned one (--sm2-key), else the packaged one, else None (not an SM package)."""
    text: str | None = pinned
    where = "--sm2-key"
    if pinned is not None:
        try:
            if Path(pinned).is_file():
                text = Path(pinned).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.fail(f"无法读取 SM2 公钥文件：{exc}", f"cannot read the SM2 key file: {exc}", path=pinned)
            return None
    else:
        where = SM2_PUBLIC_KEY
        text = _read_text(report, root, SM2_PUBLIC_KEY, required=False)
        if text is None:
            return None
    try:
        verifier = parse_vkey(text or "")
    except signednote.NoteError as exc:
        report.fail(f"SM2 公钥无法解析：{exc}", f"the SM2 key does not parse: {exc}", path=where)
        return None
    if verifier.alg != signednote.ALG_SM2:
        report.fail("所给 SM2 公钥不是 SM2 密钥", "the SM2 key is not an SM2 key", path=where)
        return None
    if pinned is None:
        report.warn("SM2 联署签名只用包内附带的 SM2 公钥核验；请用 --sm2-key 指定事先取得的公钥",
                    "the SM2 co-signature was checked with the packaged SM2 key only; pin it with --sm2-key",
                    path=SM2_PUBLIC_KEY)
    return verifier


def _check_sm2_signature(report: Report, checkpoint: signednote.Checkpoint,
                         verifier: signednote.Verifier | None, pinned: bool) -> None:
    """SM mode: the checkpoint's SM2 co-signature (a second signature line) verifies under the SM2 key."""
    if verifier is None:
        return
    carries = any(name == verifier.name and blob[:4] == verifier.id for name, blob in checkpoint.signatures)
    if not carries:
        if pinned:
            report.fail("检查点没有所给 SM2 公钥的联署签名", "the checkpoint carries no SM2 co-signature by the pinned key",
                        path=CHECKPOINT)
        else:
            report.fail("包内有 SM2 公钥，但检查点没有其联署签名", "the package has an SM2 key but the checkpoint "
                        "carries no SM2 co-signature", path=CHECKPOINT)
        return
    if signednote.verify_signature(checkpoint, verifier):
        report.notes.append(f"检查点的 SM2 联署签名有效 / SM2 co-signature verifies ({verifier.name}+{verifier.id.hex()})")
    else:
        report.fail("检查点的 SM2 联署签名无效", "the checkpoint's SM2 co-signature does not verify", path=CHECKPOINT)


def _parse_checkpoint(report: Report, text: str, where: str) -> signednote.Checkpoint | None:
    try:
        return signednote.parse_note(text)
    except signednote.NoteError as exc:
        report.fail(f"检查点无法解析：{exc}", f"checkpoint does not parse: {exc}", path=where)
        return None


def _check_signature(
    report: Report, checkpoint: signednote.Checkpoint, verifier: signednote.Verifier | None, where: str
) -> None:
    if verifier is None:
        report.fail("没有可用的公钥，无法验证检查点签名", "no usable public key: the signature cannot be checked",
                    path=where)
        return
    if not signednote.verify_signature(checkpoint, verifier):
        report.fail(
            f"检查点签名无效，或不是公钥 {verifier.name} 所签",
            f"the checkpoint signature does not verify with key {verifier.name}+{verifier.id.hex()}", path=where,
        )


@dataclass
class _Entry:
    seq: int
    line: int
    leaf: bytes  # recomputed from the canonical bytes
    blobs: list[dict[str, Any]]


def _check_entries(report: Report, root: Path, tree_size: int | None, stream: str) -> list[_Entry]:
    lines = _lines(report, root, ENTRIES)
    if lines is None:
        return []
    entries: list[_Entry] = []
    last_seq = -1
    for number, raw in lines:
        where = f"{ENTRIES}:{number}"
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            seq = item["seq"]
            listed = item["leaf_hash"]
            if "canonical" in item:
                if not isinstance(item["canonical"], str):
                    raise TypeError("canonical must be a string")
                data = item["canonical"].encode("utf-8")
            else:
                data = base64.b64decode(item["canonical_base64"], validate=True)
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or not isinstance(listed, str):
                raise ValueError("bad seq or leaf_hash")
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError) as exc:
            report.fail(f"条目行无法解析：{exc}", f"entry line does not parse: {exc}", path=where)
            continue
        if seq <= last_seq:
            report.fail("条目序号重复或未按顺序排列", "entry seq repeated or out of order", seq=seq, path=where)
        last_seq = max(last_seq, seq)
        if tree_size is not None and seq >= tree_size:
            report.fail(
                f"条目序号不小于检查点树大小 {tree_size}：检查点不包含该条目",
                f"entry seq is not below the checkpoint's tree size {tree_size}", seq=seq, path=where,
            )
        leaf = merkle.leaf_hash(data)
        if leaf.hex() != listed.lower():
            report.fail(
                "由规范化内容重新计算的叶哈希与记录的叶哈希不符（内容被改动）",
                "leaf hash recomputed from the canonical bytes differs from the recorded leaf hash (content changed)",
                seq=seq, path=where,
            )
        blobs: list[dict[str, Any]] = []
        try:
            content = json.loads(data)
        except ValueError:
            report.fail("规范化内容不是 JSON", "canonical bytes are not JSON", seq=seq, path=where)
            content = None
        if isinstance(content, dict):
            if content.get("seq") != seq:
                report.fail(
                    f"内容中的序号 {content.get('seq')!r} 与条目序号不符",
                    f"the seq inside the content ({content.get('seq')!r}) differs from the entry's seq",
                    seq=seq, path=where,
                )
            if stream and stream != "*" and content.get("stream") != stream:
                report.fail(
                    f"条目属于记录流 {content.get('stream')!r}，不是本包的 {stream!r}",
                    f"entry belongs to stream {content.get('stream')!r}, not this package's {stream!r}",
                    seq=seq, path=where,
                )
            if canonical_bytes(content) != data:
                report.warn("内容不是规范化 JSON（哈希按原样字节计算）",
                            "content is not in canonical JSON form (hashed as stored)", seq=seq, path=where)
            raw_blobs = content.get("blobs", [])
            if not isinstance(raw_blobs, list):
                raw_blobs = [raw_blobs]
            for ref in raw_blobs:
                ok = (
                    isinstance(ref, dict) and isinstance(ref.get("sha256"), str)
                    and SHA256_RE.match(ref["sha256"]) is not None
                    and isinstance(ref.get("size"), int) and ref["size"] >= 0
                )
                if ok:
                    blobs.append(ref)
                else:
                    report.fail(f"证据文件引用格式错误：{ref!r:.80}", f"malformed blob reference: {ref!r:.80}",
                                seq=seq, path=where)
        elif content is not None:
            report.fail("规范化内容不是 JSON 对象", "canonical content is not a JSON object", seq=seq, path=where)
        entries.append(_Entry(seq, number, leaf, blobs))
    return entries


def _check_proofs(report: Report, root: Path, checkpoint: signednote.Checkpoint | None, entries: list[_Entry]) -> None:
    text = _read_text(report, root, PROOFS)
    if text is None:
        return
    try:
        proofs = json.loads(text)
        inclusion = proofs["inclusion"]
        if not isinstance(inclusion, dict):
            raise TypeError("inclusion must be an object")
    except (ValueError, KeyError, TypeError) as exc:
        report.fail(f"证明文件无法解析：{exc}", f"proof file does not parse: {exc}", path=PROOFS)
        return
    if checkpoint is None:
        report.fail("没有可用的检查点，无法验证包含证明", "no usable checkpoint: inclusion proofs cannot be checked",
                    path=PROOFS)
        return
    if proofs.get("tree_size") != checkpoint.size or proofs.get("root_hash") != base64.b64encode(
        checkpoint.root
    ).decode():
        report.fail("证明文件所针对的树与检查点不符", "the proof file refers to another tree than the checkpoint",
                    path=PROOFS)
    for entry in entries:
        raw = inclusion.get(str(entry.seq))
        if raw is None:
            report.fail("缺少该条目的包含证明", "no inclusion proof for this entry", seq=entry.seq, path=PROOFS)
            continue
        try:
            path = [base64.b64decode(h, validate=True) for h in raw]
        except (TypeError, ValueError, binascii.Error):
            report.fail("包含证明无法解析", "inclusion proof does not parse", seq=entry.seq, path=PROOFS)
            continue
        if not merkle.verify_inclusion(entry.leaf, entry.seq, checkpoint.size, path, checkpoint.root):
            report.fail(
                f"包含证明不成立：该条目（按其现有内容）不在已签名检查点（树大小 {checkpoint.size}）的树中",
                f"inclusion proof fails: this entry, as it now reads, is not in the signed tree of size "
                f"{checkpoint.size}", seq=entry.seq, path=PROOFS,
            )


def _check_blobs(report: Report, root: Path, entries: list[_Entry]) -> None:
    refs: dict[str, tuple[int, int]] = {}  # sha256 -> (size, first seq)
    sm3_refs: dict[str, str] = {}  # sha256 -> SM3 recorded beside it (SM mode, ADR 0020)
    for entry in entries:
        for ref in entry.blobs:
            sha, size = ref["sha256"], ref["size"]
            if isinstance(ref.get("sm3"), str) and ref["sm3"]:
                sm3_refs.setdefault(sha, ref["sm3"].lower())
            if sha in refs and refs[sha][0] != size:
                report.fail(
                    f"同一证据文件在第 {refs[sha][1]} 条中的大小为 {refs[sha][0]}，此处为 {size}",
                    f"the same blob has size {refs[sha][0]} in seq {refs[sha][1]} but {size} here",
                    seq=entry.seq, blob=sha,
                )
            refs.setdefault(sha, (size, entry.seq))
    report.blobs = len(refs)
    for sha, (size, seq) in sorted(refs.items()):
        rel = f"{BLOBS}/{sha}"
        path = root / rel
        if not path.is_file():
            report.fail(f"证据文件缺失（第 {seq} 条引用）", f"blob missing (referenced by seq {seq})",
                        blob=sha, path=rel)
            continue
        actual_size = path.stat().st_size
        if actual_size != size:
            report.fail(f"证据文件大小为 {actual_size} 字节，账本记录为 {size} 字节",
                        f"blob is {actual_size} bytes, the ledger says {size}", blob=sha, path=rel)
        expected_sm3 = sm3_refs.get(sha, "")
        digest = _try_hash(report, path, ["sha256", "sm3"] if expected_sm3 else ["sha256"], rel)
        if digest is not None and digest["sha256"] != sha:
            report.fail("证据文件的 SHA-256 与账本记录不符（内容已改变）",
                        "blob SHA-256 differs from the ledger (content changed)", blob=sha, path=rel)
        if digest is not None and expected_sm3 and digest["sm3"] != expected_sm3:
            report.fail("证据文件的 SM3 与账本记录不符", "blob SM3 differs from the ledger", blob=sha, path=rel)
    data = root / "data"
    if data.is_dir():
        for path in sorted(p for p in data.rglob("*") if p.is_file() or p.is_symlink()):
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                report.fail("包中不应有符号链接", "symbolic link in the package", path=rel)
                continue
            if rel in _KNOWN_FILES:
                continue
            if rel.startswith(BLOBS + "/") and rel[len(BLOBS) + 1 :] in refs:
                continue
            report.fail("包中有任何条目都未引用的多余文件", "unexpected file: no entry refers to it", path=rel)


def _check_leaves(report: Report, root: Path, checkpoint: signednote.Checkpoint | None,
                  entries: list[_Entry]) -> list[bytes] | None:
    """The whole ledger's leaf hashes: gapless, agreeing with this package's entries, hashing to the signed root.
    Returns the leaves if they are complete (for checking an earlier checkpoint)."""
    lines = _lines(report, root, LEAVES, required=False)
    if lines is None:
        report.warn("包内没有全账本叶哈希表（data/leaves.txt）：无法发现被删除的条目",
                    "no whole-ledger leaf list (data/leaves.txt): deleted entries cannot be detected")
        return None
    leaves: list[bytes] = []
    seqs: list[int] = []
    problems = False
    for number, raw in lines:
        parts = raw.split()
        if not parts:
            continue
        try:
            seq, leaf = int(parts[0]), bytes.fromhex(parts[1])
            if len(parts) != 2 or len(leaf) != 32 or seq < 0:
                raise ValueError("bad line")
        except (ValueError, IndexError):
            report.fail("叶哈希行无法解析", "leaf line does not parse", path=f"{LEAVES}:{number}")
            problems = True
            continue
        if seqs and seq <= seqs[-1]:
            report.fail("叶哈希表序号重复或未按顺序排列", "leaf seq repeated or out of order", seq=seq,
                        path=f"{LEAVES}:{number}")
            problems = True
            continue
        seqs.append(seq)
        leaves.append(leaf)
    size = checkpoint.size if checkpoint is not None else (seqs[-1] + 1 if seqs else 0)
    present = set(seqs)
    missing = [s for s in range(size) if s not in present]
    for first, last in _ranges(missing):
        report.fail(
            f"账本缺少第 {_span(first, last)} 条（序号不连续：条目被删除）",
            f"ledger entry seq {_span(first, last)} missing (gap: entries deleted)",
            seq=first, path=LEAVES,
        )
    extra = [s for s in seqs if s >= size]
    if extra:
        report.fail(f"叶哈希表含有超出检查点树大小 {size} 的序号", f"leaf list goes beyond the tree size {size}",
                    seq=extra[0], path=LEAVES)
    by_seq = dict(zip(seqs, leaves, strict=True))
    for entry in entries:
        listed = by_seq.get(entry.seq)
        if listed is not None and listed != entry.leaf:
            report.fail("全账本叶哈希表中该条的哈希与其内容不符", "the whole-ledger leaf list disagrees with this entry",
                        seq=entry.seq, path=LEAVES)
    if missing or extra or problems or checkpoint is None:
        return None
    if merkle.root(leaves) != checkpoint.root:
        report.fail(
            "由全部叶哈希重新计算的根哈希与已签名检查点不符（账本中有条目被改动）",
            "root recomputed from all leaf hashes differs from the signed checkpoint (ledger rows altered)",
            path=LEAVES,
        )
        return None
    return leaves


def _check_other_checkpoint(
    report: Report, other_file: str, checkpoint: signednote.Checkpoint | None,
    verifier: signednote.Verifier | None, leaves: list[bytes] | None,
) -> None:
    try:
        text = Path(other_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.fail(f"无法读取所给检查点文件：{exc}", f"cannot read the given checkpoint file: {exc}", path=other_file)
        return
    note, block = split_checkpoint_file(text)
    other = _parse_checkpoint(report, note, other_file)
    if other is None:
        return
    _check_signature(report, other, verifier, other_file)
    proof: ConsistencyProof | None = None
    if block is not None:
        try:
            proof = parse_consistency(block)
        except (ValueError, binascii.Error) as exc:
            report.fail(f"一致性证明无法解析：{exc}", f"consistency proof does not parse: {exc}", path=other_file)
            return
    if checkpoint is None:
        return
    if other.origin != checkpoint.origin:
        report.fail(f"所给检查点属于另一个日志（{other.origin}）", f"the given checkpoint is of another log ({other.origin})",
                    path=other_file)
        return
    m, n = checkpoint.size, other.size
    if m == n:
        if other.root != checkpoint.root:
            report.fail(
                f"同一树大小 {m} 出现两个不同的根哈希：日志历史被改写或分叉",
                f"two different roots for the same tree size {m}: the log's history was rewritten or forked",
                path=other_file,
            )
        else:
            report.notes.append(f"所给检查点与包内检查点相同（树大小 {m}） / the given checkpoint equals the package's")
        return
    old, new, old_root, new_root = (m, n, checkpoint.root, other.root) if m < n else (n, m, other.root, checkpoint.root)
    if proof is not None:
        if (proof.old_size, proof.new_size) != (old, new):
            report.fail(
                f"一致性证明针对 {proof.old_size}→{proof.new_size}，而需要的是 {old}→{new}",
                f"consistency proof is for {proof.old_size}->{proof.new_size}, {old}->{new} is needed", path=other_file,
            )
        elif merkle.verify_consistency(old, new, old_root, new_root, list(proof.hashes)):
            report.notes.append(f"检查点 {old} 与 {new} 一致（日志只追加） / checkpoints {old} and {new} are consistent")
            return
        else:
            report.fail(
                f"一致性证明不成立：树大小 {old} 的日志不是树大小 {new} 的前缀（历史被改写）",
                f"consistency proof fails: the log of size {old} is not a prefix of the log of size {new}",
                path=other_file,
            )
        return
    if n > m:
        report.fail(
            f"所给检查点（树大小 {n}）比包内检查点（树大小 {m}）大，却没有一致性证明：若所给检查点早于本包取得，"
            f"说明日志被截断、长度缩小了 {n - m} 条",
            f"the given checkpoint (size {n}) is larger than the package's (size {m}) and carries no consistency "
            f"proof: if it was obtained before this package, the log shrank by {n - m} entries (tail truncated)",
            path=other_file,
        )
        return
    if leaves is None:
        report.fail(
            f"所给检查点（树大小 {n}）较小且没有一致性证明，包内也没有完整的叶哈希表，无法核对",
            f"the given checkpoint (size {n}) is smaller, has no consistency proof, and the package has no complete "
            "leaf list: consistency cannot be checked", path=other_file,
        )
        return
    if merkle.root(leaves[:n]) != other.root:
        report.fail(
            f"包内账本的前 {n} 条与所给检查点不符：树大小 {n} 之前的历史被改写",
            f"the package's first {n} entries do not match the given checkpoint: history before size {n} was "
            "rewritten", path=other_file,
        )
    else:
        report.notes.append(f"包内账本的前 {n} 条与所给检查点一致 / the first {n} entries match the given checkpoint")


def verify_package(package: str | Path, *, key: str | None = None, checkpoint: str | None = None,
                   sm2_key: str | None = None, as_of: date | None = None) -> Report:
    """Run every check on the package folder; never raises for bad content (it is reported). A package of the
    disclosure stream is also checked as a publication history, which `as_of` lists for a day (ADR 0045)."""
    report = Report()
    root = Path(package)
    if not root.is_dir():
        report.fail("找不到归档包目录", "package folder not found", path=str(package))
        return report
    info = _check_bag(report, root)
    report.stream = info.get("Zhifa-Stream", "")
    if info and info.get("Zhifa-Format") != FORMAT:
        report.warn(f"包格式标记为 {info.get('Zhifa-Format')!r}，本验证程序支持 {FORMAT}",
                    f"package format is {info.get('Zhifa-Format')!r}; this verifier knows {FORMAT}", path="bag-info.txt")
    verifier = _load_key(report, root, key)
    cp_text = _read_text(report, root, CHECKPOINT)
    cp = _parse_checkpoint(report, cp_text, CHECKPOINT) if cp_text is not None else None
    if cp is not None:
        report.checkpoint_size = cp.size
        _check_signature(report, cp, verifier, CHECKPOINT)
        _check_sm2_signature(report, cp, _load_sm2_key(report, root, sm2_key), pinned=sm2_key is not None)
    entries = _check_entries(report, root, cp.size if cp else None, report.stream)
    report.entries = len(entries)
    _check_proofs(report, root, cp, entries)
    _check_blobs(report, root, entries)
    leaves = _check_leaves(report, root, cp, entries)
    if checkpoint is not None:
        _check_other_checkpoint(report, checkpoint, cp, verifier, leaves)
    if report.stream == verify_history.STREAM or as_of is not None:
        verify_history.check_history(report, root, as_of)
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m zhifa.records.verify",
        description="离线核验执法记录归档包（无需数据库和网络）/ verify an archive package offline",
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", help="归档包目录 / the package folder")
    parser.add_argument("--key", help="日志公钥（vkey 文本或文件），优先于包内公钥 / pinned log key (text or file)")
    parser.add_argument("--sm2-key", help="SM2 联署公钥（vkey 文本或文件；SM 模式）/ pinned SM2 co-signing key (SM mode)")
    parser.add_argument(
        "--checkpoint", help="另行取得的检查点文件，可附一致性证明 / a checkpoint obtained elsewhere, "
        "optionally followed by a consistency proof",
    )
    parser.add_argument("--as-of", type=date.fromisoformat, help="公示历史包：列出该日（YYYY-MM-DD，北京时间）日终"
                        "公开的信息 / disclosure history: list what was public at the end of that day")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.getLogger("bagit").setLevel(logging.ERROR)  # every problem is in the report, once
    report = verify_package(args.package, key=args.key, checkpoint=args.checkpoint, sm2_key=args.sm2_key,
                            as_of=args.as_of)
    sys.stdout.write("\n".join(report.lines()) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
