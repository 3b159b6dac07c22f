"""Rollback detection against the witness, and the signed restore record (reliability.md FC-7, TP-2).

The database alone cannot tell that it was restored from an old backup: `LedgerHead`, the checkpoints and the
restore events all travel with the backup. What lives outside it is the witness's state: the largest checkpoint it
co-signed for our log. `check_against_witness` compares the ledger with that state at start-up; when the ledger is
shorter (an old backup) or does not contain the co-signed tree (a fork), and no signed restore event acknowledges
exactly that, it puts the ledger into refusal (`LedgerHead.witnessed_size` above the ledger size, so
`ledger_append` raises `LedgerError`).

`record_restore` is the operator's way out: it re-verifies the ledger, signs a restore statement with the log key
(`witness.restore_statement_body`), stores it as a `RestoreEvent` and resumes writes. The statement must then be
taken to the witness operator (`zhifa witness accept-restore`); until then the witness refuses our checkpoints,
which is the point: the gap stays visible to everyone who compares checkpoints.

`witness_checkpoint` is the application side of co-signing when the witness runs on the same machine
(`ZHIFA_WITNESS_STATE_DIR`, the demo set-up). Cosigned checkpoints are kept as files under
`DATA_DIR/cosigned/<size>.txt` (the `Checkpoint` rows are append-only and hold the log's own signature only).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from zhifa.records import ledger, merkle, signednote, verify_db
from zhifa.records.checkpoints import checkpoint_create, log_signer, public_key
from zhifa.records.models import Checkpoint, LedgerHead, RestoreEvent
from zhifa.records.witness import (
    CONFIG_FILE,
    LogState,
    Witness,
    WitnessError,
    WitnessRefused,
    open_restore_statement,
    parse_vkey,
    read_log_state,
    restore_statement_body,
    write_atomic,
)

logger = logging.getLogger(__name__)

DEFAULT_WITNESS_NAME = "zhifa.local/witness"


class RestoreRefused(Exception):
    """`record_restore` will not sign: the ledger does not verify, or there is nothing to acknowledge."""


def configured_witness_dir() -> Path | None:
    value = settings.ZHIFA_WITNESS_STATE_DIR
    return Path(value) if value else None


def cosigned_dir() -> Path:
    return Path(settings.DATA_DIR) / "cosigned"


def restore_dir() -> Path:
    return Path(settings.DATA_DIR) / "restore-events"


def log_key_available() -> bool:
    if settings.ZHIFA_LEDGER_KEY_FD is not None:
        return True
    return Path(settings.ZHIFA_LEDGER_KEY_FILE).exists()


# --- Ledger verification ---------------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    size: int = 0
    root: bytes = b""
    problems: list[str] = field(default_factory=list)
    checkpoint_size: int | None = None  # the newest checkpoint checked

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_ledger(log_vkey: str | None = None) -> VerifyReport:
    """Full verification of the ledger in the database (leaves, stored subtrees, head: `verify_db.verify_ledger`),
    plus the checkpoints: none may be larger than the ledger, and the newest must carry a valid signature by the log
    key (`log_vkey`, else the key file's public key) over exactly its stored size and root."""
    tables = verify_db.verify_ledger()
    report = VerifyReport(size=tables.size, root=tables.root, problems=list(tables.problems))
    beyond = Checkpoint.objects.filter(size__gt=tables.size).order_by("-size").first()
    if beyond is not None:
        report.problems.append(
            f"存在大小为 {beyond.size} 的签名检查点，而账本只有 {tables.size} 条：账本被截短（checkpoint beyond the log）"
        )
    newest = Checkpoint.objects.filter(size__lte=tables.size).order_by("-size").first()
    if newest is None:
        return report
    report.checkpoint_size = newest.size
    if log_vkey is None:
        if not log_key_available():
            report.problems.append(
                f"找不到账本签名密钥 {settings.ZHIFA_LEDGER_KEY_FILE}，无法验证检查点签名：请先恢复密钥文件，或用 --log-key 指定公钥。"
            )
            return report
        log_vkey = public_key()
    try:
        note = signednote.parse_note(newest.note)
        verifier = parse_vkey(log_vkey)
    except signednote.NoteError as exc:
        report.problems.append(f"大小为 {newest.size} 的检查点无法解析：{exc}")
        return report
    if (note.origin, note.size, note.root) != (settings.ZHIFA_LEDGER_ORIGIN, newest.size, bytes(newest.root)):
        report.problems.append(f"大小为 {newest.size} 的检查点正文与其记录不符（origin/size/root mismatch）")
    if not signednote.verify_signature(note, verifier):
        report.problems.append(f"大小为 {newest.size} 的检查点没有账本公钥的有效签名（bad checkpoint signature）")
    return report


# --- Refusing and resuming writes --------------------------------------------------------------------------------


def refuse_writes(min_witnessed_size: int) -> None:
    """Make `ledger_append` refuse: raise `LedgerHead.witnessed_size` to at least `min_witnessed_size` (never lower)."""
    with transaction.atomic():
        if not LedgerHead.objects.filter(pk=1).exists():  # the head was removed: recreate it, refusing
            LedgerHead.objects.create(pk=1, witnessed_size=min_witnessed_size)
        LedgerHead.objects.filter(pk=1, witnessed_size__lt=min_witnessed_size).update(witnessed_size=min_witnessed_size)


def set_witnessed_size(value: int) -> None:
    LedgerHead.objects.filter(pk=1).update(witnessed_size=value)


def writes_refused() -> bool:
    head = LedgerHead.objects.filter(pk=1).values("size", "witnessed_size").first()
    return head is not None and head["size"] < head["witnessed_size"]


# --- Start-up check ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollbackStatus:
    state: str  # "unchecked" | "ok" | "acknowledged" | "refused" | "error"
    message: str
    ledger_size: int = 0
    witnessed_size: int | None = None
    restore_event_id: int | None = None

    @property
    def refused(self) -> bool:
        return self.state == "refused"


def _covering_event(witnessed: LogState, size: int) -> RestoreEvent | None:
    """A restore event, signed with the log key, that acknowledges exactly the witness's state and whose restored
    ledger is a prefix of the current one (writes may have resumed since)."""
    if not log_key_available():
        return None
    vkey = public_key()
    for event in RestoreEvent.objects.filter(witnessed_size=witnessed.size, ledger_size__lte=size).order_by("-id"):
        try:
            statement = open_restore_statement(event.signature, vkey)
            restored_root = ledger.root_at(statement.ledger_size)
        except (WitnessRefused, ledger.LedgerError) as exc:
            logger.warning("恢复记录 #%s 无效：%s", event.pk, exc)
            continue
        if (
            statement.origin == settings.ZHIFA_LEDGER_ORIGIN
            and statement.ledger_size == event.ledger_size
            and statement.witnessed_size == witnessed.size
            and statement.witnessed_root in (None, witnessed.root)
            and restored_root == statement.ledger_root
        ):
            return event
    return None


def exported_state() -> LogState | None:
    """The newest checkpoint in ZHIFA_CHECKPOINT_EXPORT_DIR as a witness state (size, root), or None when no folder
    is configured or it holds none. A file that does not carry a valid signature by the log key raises
    WitnessError: someone wrote into the folder."""
    folder = str(settings.ZHIFA_CHECKPOINT_EXPORT_DIR or "")
    if not folder or not Path(folder).is_dir():
        return None
    files = sorted(Path(folder).glob("checkpoint-*.txt"))
    if not files:
        return None
    newest = files[-1]
    try:
        note = signednote.parse_note(newest.read_text(encoding="utf-8"))
    except (OSError, signednote.NoteError) as exc:
        raise WitnessError(f"外送检查点 {newest} 无法读取：{exc}") from exc
    if note.origin != settings.ZHIFA_LEDGER_ORIGIN or not log_key_available() or not signednote.verify_signature(
            note, parse_vkey(public_key())):
        raise WitnessError(f"外送检查点 {newest} 不是本账本密钥签署的检查点。")
    return LogState(origin=note.origin, log_key=public_key(), size=note.size, root=note.root, checkpoint="",
                    cosignature="", updated_at="")


def check_against_witness(state_dir: Path | None = None) -> RollbackStatus:
    """Compare the ledger with the witness's state (outside the database); refuse writes on an unacknowledged
    rollback or fork. Never lowers an existing refusal. Returns what it found, with a Chinese message."""
    state_dir = state_dir or configured_witness_dir()
    size, _root = ledger.tree_head()
    if state_dir is None:
        # No witness: the newest checkpoint in the off-box export folder plays its part (ADR 0017).
        try:
            witnessed = exported_state()
        except WitnessError as exc:
            logger.error("%s", exc)
            return RollbackStatus("error", f"无法读取外送检查点，未做回退检查：{exc}", size)
        if witnessed is None:
            return RollbackStatus("unchecked", "未配置见证方状态目录（ZHIFA_WITNESS_STATE_DIR）或检查点外送目录"
                                               "（ZHIFA_CHECKPOINT_EXPORT_DIR），未做回退检查。", size)
    else:
        try:
            witnessed = read_log_state(state_dir, settings.ZHIFA_LEDGER_ORIGIN)
        except WitnessError as exc:
            logger.error("%s", exc)
            return RollbackStatus("error", f"无法读取见证方状态，未做回退检查：{exc}", size)
    if witnessed is None:
        return RollbackStatus("ok", "见证方尚未签署本账本的检查点。", size, 0)
    kind = "rollback"
    if size >= witnessed.size:
        try:
            prefix_root = ledger.root_at(witnessed.size)
        except ledger.LedgerError:
            prefix_root = None
        if prefix_root == witnessed.root:
            return RollbackStatus(
                "ok", f"账本长度 {size}，见证方已签署 {witnessed.size}，一致。", size, witnessed.size
            )
        kind = "fork"
    event = _covering_event(witnessed, size)
    if event is not None:
        return RollbackStatus(
            "acknowledged",
            f"账本（{size}）与见证方已签署的检查点（{witnessed.size}）不一致，已由恢复记录 #{event.pk}"
            f"（{event.operator}）登记；请确认恢复声明已提交见证方（zhifa witness accept-restore）。",
            size, witnessed.size, event.pk,
        )
    refuse_writes(max(witnessed.size, size + 1))
    if kind == "rollback":
        message = (
            f"账本长度 {size} 小于见证方已签署的长度 {witnessed.size}：数据库疑似从旧备份恢复，已拒绝写入。"
            f"请核实后运行 zhifa record_restore --operator 姓名 --reason 原因 登记签名的恢复记录。"
        )
    else:
        message = (
            f"账本前 {witnessed.size} 条的根哈希与见证方签署的不同：账本出现分叉或被改写，已拒绝写入。"
            f"请核实后运行 zhifa record_restore --operator 姓名 --reason 原因 登记签名的恢复记录。"
        )
    logger.error("%s", message)
    return RollbackStatus("refused", message, size, witnessed.size)


# --- Restore record ----------------------------------------------------------------------------------------------


def record_restore(
    *, operator: str, reason: str, witnessed_size: int | None = None, witnessed_root: bytes | None = None,
    log_vkey: str | None = None, now: datetime | None = None, leaves: list[bytes] | None = None,
) -> tuple[RestoreEvent, Path]:
    """Sign and store a restore statement, then resume writes at the current size. Returns the event and the file
    holding the statement for the witness operator. The witness's size and root come from its state directory when
    configured; for a remote witness pass them (from its latest cosigned checkpoint)."""
    operator, reason = operator.strip(), reason.strip()
    if not operator or not reason:
        raise RestoreRefused("必须填写操作人员和恢复原因。")
    report = verify_ledger(log_vkey)
    if not report.ok:
        raise RestoreRefused("账本校验未通过，不能登记恢复记录：\n" + "\n".join(report.problems))
    size, root = report.size, report.root
    if witnessed_size is None:
        state_dir = configured_witness_dir()
        state = read_log_state(state_dir, settings.ZHIFA_LEDGER_ORIGIN) if state_dir else None
        if state is not None:
            witnessed_size, witnessed_root = state.size, state.root
    head_witnessed = LedgerHead.objects.filter(pk=1).values_list("witnessed_size", flat=True).first() or 0
    if witnessed_size is None:
        witnessed_size = head_witnessed
    behind = witnessed_size > size or (
        witnessed_root is not None and ledger.root_at(witnessed_size) != witnessed_root
    )
    if not behind and head_witnessed <= size:
        raise RestoreRefused(f"账本长度 {size} 不小于见证方已签署的长度 {witnessed_size}，且写入未被拒绝：无需登记恢复记录。")
    body = restore_statement_body(
        origin=settings.ZHIFA_LEDGER_ORIGIN, ledger_size=size, ledger_root=root, witnessed_size=witnessed_size,
        witnessed_root=witnessed_root, operator=operator, reason=reason, at=now or timezone.now(),
    )
    statement = signednote.sign_note(body, log_signer())
    with transaction.atomic():
        event = RestoreEvent.objects.create(
            ledger_size=size, witnessed_size=witnessed_size, operator=operator, reason=reason, signature=statement
        )
        LedgerHead.objects.filter(pk=1).update(witnessed_size=F("size"))
    directory = restore_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"restore-{event.pk:06d}-{size}.txt"
    write_atomic(path, (statement + restore_proof_text(leaves, size, root, witnessed_size)).encode())
    logger.warning("已登记恢复记录 #%s：账本 %s，见证方 %s，操作人员 %s", event.pk, size, witnessed_size, operator)
    return event, path


def read_leaves(path: Path) -> list[bytes]:
    """`data/leaves.txt` of an archive package (`<seq> <hex leaf hash>` per line, gapless from 0)."""
    leaves: list[bytes] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        seq_text, _sep, hex_hash = line.strip().partition(" ")
        if not seq_text.isdigit() or int(seq_text) != len(leaves) or len(hex_hash.strip()) != 64:
            raise RestoreRefused(f"{path} 第 {number} 行格式错误或序号不连续。")
        leaves.append(bytes.fromhex(hex_hash.strip()))
    return leaves


def restore_proof_text(leaves: list[bytes] | None, size: int, root: bytes, witnessed_size: int) -> str:
    """The consistency proof from the restored size to the witnessed size, from the leaf hashes of a longer copy
    of the log (an archive package's leaves.txt), for `zhifa witness accept-restore` (ADR 0017); "" without them.
    The leaves must agree with the restored ledger on its first `size` entries."""
    if not leaves:
        return ""
    if len(leaves) < witnessed_size or not size < witnessed_size:
        raise RestoreRefused(f"叶哈希文件只有 {len(leaves)} 条，不足以证明到见证方已签署的大小 {witnessed_size}。")
    if merkle.root(leaves[:size]) != root:
        raise RestoreRefused("叶哈希文件的前缀与恢复后的账本不符：它不是同一份账本的副本。")
    proof = merkle.consistency_proof(leaves, size, witnessed_size)
    return f"\nconsistency {size} {witnessed_size}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)


# --- Co-signing with a local witness -----------------------------------------------------------------------------


def store_cosigned(note: str, cosignatures: list[str]) -> Path:
    """Keep `note` with witness cosignature lines as DATA_DIR/cosigned/<size>.txt, keeping lines already there."""
    parsed = signednote.parse_note(note)
    body, _sep, signature_block = note.rstrip("\n").partition("\n\n")
    signatures = signature_block.split("\n")
    directory = cosigned_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{parsed.size}.txt"
    if path.exists():
        previous = path.read_text(encoding="utf-8").rstrip("\n")
        if signednote.parse_note(previous + "\n").body == parsed.body:
            signatures += previous.partition("\n\n")[2].split("\n")
    signatures += [line.rstrip("\n") for line in cosignatures]
    text = body + "\n\n" + "".join(line + "\n" for line in dict.fromkeys(signatures) if line)
    write_atomic(path, text.encode())
    return path


def cosigned_note(size: int) -> str | None:
    path = cosigned_dir() / f"{size}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


def cosigned_sizes() -> list[int]:
    directory = cosigned_dir()
    if not directory.is_dir():
        return []
    return sorted(int(p.stem) for p in directory.glob("*.txt") if p.stem.isdigit())


def _open_local_witness(state_dir: Path) -> Witness:
    if (state_dir / CONFIG_FILE).exists():
        return Witness(state_dir)
    return Witness(state_dir, DEFAULT_WITNESS_NAME)


def witness_checkpoint(witness_state_dir: Path | None = None, *, attempts: int = 5) -> str:
    """Sign the current tree head, have the local witness co-sign it (with a consistency proof from the size it
    holds), keep the cosigned note under DATA_DIR/cosigned, and record the witnessed size in `LedgerHead`.
    Returns the cosigned note. If the witness refuses because the ledger no longer extends what it signed, the
    start-up check runs at once (so writes stop) and the refusal is re-raised."""
    state_dir = witness_state_dir or configured_witness_dir()
    if state_dir is None:
        raise ImproperlyConfigured("未配置 ZHIFA_WITNESS_STATE_DIR，无法在本机见证检查点。")
    witness = _open_local_witness(Path(state_dir))
    checkpoint = checkpoint_create()
    vkey = public_key()
    origin = settings.ZHIFA_LEDGER_ORIGIN
    for _attempt in range(attempts):
        held = witness.state(origin)
        old = held.size if held else 0
        proof = ledger.consistency_proof(old, checkpoint.size) if old <= checkpoint.size else []
        try:
            line = witness.add_checkpoint(
                checkpoint.note, proof, vkey, old_size=old if old <= checkpoint.size else None
            )
            break
        except WitnessRefused as exc:
            if exc.code == "stale":  # another process moved the witness on: rebuild the proof from its new size
                continue
            if exc.code in ("shrink", "conflict", "inconsistent"):
                check_against_witness(Path(state_dir))
            raise
    else:
        raise WitnessRefused("stale", "见证方状态频繁变化，多次重试后仍未签署。")
    store_cosigned(checkpoint.note, [line])
    LedgerHead.objects.filter(pk=1, witnessed_size__lt=checkpoint.size).update(witnessed_size=checkpoint.size)
    return checkpoint.note.rstrip("\n") + "\n" + line


def describe_state(state: LogState) -> str:
    return f"{state.origin} 大小 {state.size} 根 {base64.b64encode(state.root).decode()}（{state.updated_at}）"
