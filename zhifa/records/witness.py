"""The witness: co-signs a log's checkpoints only when they extend the last checkpoint it co-signed for that log
(C2SP tlog-witness, reliability.md A7, TP-3, TP-5). Pure Python, no Django.

It is meant to run at the supervising justice bureau (`zhifa witness`), with its own Ed25519 key and its own state,
outside the log operator's security domain; `zhifa.records.rollback` also runs it in-process for a single machine.

State directory:
    witness.json          {"name": ...}: the witness's key name, fixed at `init`
    witness-ed25519.pem   the witness's private key (PKCS#8, mode 0600), created on first use
    state.json            per log origin: pinned log key, last co-signed size and root, that checkpoint with our
                          cosignature (written to a temporary file, fsync'ed, then os.replace'd: never half-written)
    history.jsonl         one line per co-signed checkpoint or accepted restore, appended and fsync'ed
    state.lock            `fcntl.flock` lock file: check-and-update is one critical section across threads and processes

`add_checkpoint` holds the exclusive lock while it re-reads the state, checks the new checkpoint against it, signs,
and persists the new state; only then does it return the cosignature. So two concurrent requests can never move the
stored size backwards (C2SP: "otherwise concurrent requests can roll it back K leaves"), and a size is co-signed
for one root only (a repeated request for the stored checkpoint gets the stored cosignature back, not a new one).

Trust on first use: the first checkpoint seen for an origin is accepted at any size (its signature must verify
against the log key given by the operator), and that key is pinned for the origin.

Refusals raise `WitnessRefused(code, message)`; `http_status` follows the C2SP status codes.

A restore statement (`restore_statement_body`) is the log operator's signed admission that the log was restored from
a backup shorter than, or diverging from, what this witness co-signed. `accept_restore` is the witness operator's
deliberate, recorded decision to continue witnessing from the restored checkpoint; it is the only way the stored
size can go down.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zhifa.common.files import fsync_dir
from zhifa.records import merkle, signednote

CONFIG_FILE = "witness.json"
KEY_FILE = "witness-ed25519.pem"
STATE_FILE = "state.json"
HISTORY_FILE = "history.jsonl"
LOCK_FILE = "state.lock"

RESTORE_PREFIX = "zhifa-restore/v1 "
APPROVAL_PREFIX = "zhifa-restore-approval/v1 "
MAX_PROOF_HASHES = 63  # C2SP: a consistency proof between two uint64 sizes has at most 63 hashes

STATUS = {
    "bad_request": 400,
    "bad_signature": 403,
    "key_mismatch": 403,
    "unknown_log": 404,
    "stale": 409,  # the caller's old size is not the stored size: retry from `known_size`
    "conflict": 409,  # same size, different root: a fork
    "shrink": 409,  # smaller than the size already co-signed
    "inconsistent": 422,  # the consistency proof does not verify
}


class WitnessError(Exception):
    """The witness cannot work (not initialised, unreadable state)."""


class WitnessRefused(Exception):
    """The witness refuses to co-sign (or to accept a restore statement)."""

    def __init__(self, code: str, message: str, *, known_size: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.known_size = known_size

    @property
    def http_status(self) -> int:
        return STATUS.get(self.code, 400)


@dataclass(frozen=True)
class LogState:
    """What the witness holds for one log: the last co-signed checkpoint."""

    origin: str
    log_key: str
    size: int
    root: bytes
    checkpoint: str  # the log's signed note followed by our cosignature line
    cosignature: str  # our cosignature line (ends with a newline)
    updated_at: str

    def as_json(self) -> dict[str, Any]:
        return {
            "log_key": self.log_key, "size": self.size, "root": base64.b64encode(self.root).decode(),
            "checkpoint": self.checkpoint, "cosignature": self.cosignature, "updated_at": self.updated_at,
        }

    @classmethod
    def from_json(cls, origin: str, data: dict[str, Any]) -> LogState:
        return cls(
            origin=origin, log_key=data["log_key"], size=int(data["size"]), root=base64.b64decode(data["root"]),
            checkpoint=data["checkpoint"], cosignature=data["cosignature"], updated_at=data["updated_at"],
        )


def parse_vkey(vkey: str) -> signednote.Verifier:
    """A verifier key "name+hex id+base64". The base64 part may itself contain "+", so split at most twice.
    (`signednote.Verifier.parse` splits at every "+" and rejects about one key in two; use this until it is fixed.)"""
    try:
        name, hex_id, b64 = vkey.strip().split("+", 2)
        raw = base64.b64decode(b64, validate=True)
    except ValueError as exc:
        raise signednote.NoteError(f"bad verifier key: {exc}") from exc
    if len(raw) != 33 or raw[0] not in (signednote.ALG_ED25519, signednote.ALG_COSIGNATURE_V1):
        raise signednote.NoteError("bad verifier key: unsupported key")
    verifier = signednote.Verifier(name, raw[0], raw[1:])
    if verifier.id.hex() != hex_id:
        raise signednote.NoteError("bad verifier key: key id does not match the key")
    return verifier


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write a whole file so that readers see either the old or the new content, and the new content survives a
    crash once this returns: temporary file in the same directory, fsync, os.replace, fsync of the directory."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def _read_states(state_dir: Path) -> dict[str, LogState]:
    path = state_dir / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise WitnessError(f"见证状态文件 {path} 无法读取：{exc}") from exc
    return {origin: LogState.from_json(origin, entry) for origin, entry in data.get("logs", {}).items()}


def read_log_state(state_dir: Path, origin: str) -> LogState | None:
    """The witness's state for `origin`, read without creating anything (for the application's start-up check).
    No lock is needed: the state file is only ever replaced whole."""
    return _read_states(Path(state_dir)).get(origin)


class Witness:
    def __init__(self, state_dir: Path, name: str | None = None) -> None:
        """Open (and on first use, initialise) the witness in `state_dir`. `name` is the witness's key name; it is
        fixed at initialisation, and may be omitted afterwards."""
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked():
            config_path = self.state_dir / CONFIG_FILE
            if config_path.exists():
                stored = json.loads(config_path.read_text(encoding="utf-8"))["name"]
                if name is not None and name != stored:
                    raise WitnessError(f"见证方名称已设为“{stored}”，不能改为“{name}”。")
                name = stored
            elif name is None:
                raise WitnessError(f"{self.state_dir} 尚未初始化见证方，请先运行 zhifa witness init。")
            else:
                if not name or any(c.isspace() for c in name) or "+" in name:
                    raise WitnessError("见证方名称不能为空，且不能含空白字符或“+”。")
                write_atomic(config_path, json.dumps({"name": name}, ensure_ascii=False).encode())
            self.name: str = name
            self.signer = signednote.load_or_create_signer(self.state_dir / KEY_FILE, name)

    @property
    def vkey(self) -> str:
        """The witness's verifier key (cosignature/v1), to be pinned by whoever checks its cosignatures."""
        return self.signer.verifier_key(signednote.ALG_COSIGNATURE_V1)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # flock locks belong to the open file description: each call opens its own, so threads of one process
        # exclude each other as well as other processes.
        fd = os.open(self.state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the description releases the lock

    def state(self, origin: str) -> LogState | None:
        return _read_states(self.state_dir).get(origin)

    def states(self) -> dict[str, LogState]:
        return _read_states(self.state_dir)

    def _persist(self, states: dict[str, LogState], history: dict[str, Any]) -> None:
        with open(self.state_dir / HISTORY_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(history, ensure_ascii=False, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        data = {"version": 1, "logs": {origin: s.as_json() for origin, s in sorted(states.items())}}
        write_atomic(self.state_dir / STATE_FILE, json.dumps(data, ensure_ascii=False, indent=1).encode(), 0o600)

    def add_checkpoint(
        self, note_text: str, consistency_proof: Sequence[bytes], log_vkey: str, *, old_size: int | None = None
    ) -> str:
        """Co-sign `note_text` if it extends the stored checkpoint of its log; return the cosignature line.

        `consistency_proof` proves the stored size is a prefix of the new checkpoint. `old_size`, when given, is the
        size the caller built the proof from; if it is not the stored size the request is refused as "stale" with
        the stored size in `known_size` (C2SP 409), so the caller can rebuild the proof and retry.
        """
        try:
            checkpoint = signednote.parse_note(note_text)
            verifier = parse_vkey(log_vkey)
        except signednote.NoteError as exc:
            raise WitnessRefused("bad_request", f"检查点或账本公钥格式错误：{exc}") from exc
        if verifier.alg != signednote.ALG_ED25519:
            raise WitnessRefused("bad_request", "账本公钥必须是 Ed25519 签名公钥。")
        if not signednote.verify_signature(checkpoint, verifier):
            raise WitnessRefused("bad_signature", f"检查点没有账本公钥 {verifier.name} 的有效签名。")
        if len(consistency_proof) > MAX_PROOF_HASHES:
            raise WitnessRefused("bad_request", "一致性证明过长。")
        if old_size is not None and old_size > checkpoint.size:
            raise WitnessRefused("bad_request", f"证明的起点 {old_size} 大于检查点大小 {checkpoint.size}。")
        with self._locked():
            states = _read_states(self.state_dir)
            previous = states.get(checkpoint.origin)
            stored_size = previous.size if previous else 0
            if previous is not None and previous.log_key.strip() != log_vkey.strip():
                raise WitnessRefused("key_mismatch", f"日志 {checkpoint.origin} 已绑定另一把公钥：{previous.log_key}")
            if old_size is not None and old_size != stored_size:
                raise WitnessRefused(
                    "stale", f"见证方记录的大小是 {stored_size}，不是 {old_size}：请从 {stored_size} 重新生成一致性证明。",
                    known_size=stored_size,
                )
            if previous is not None:
                self._check_extends(previous, checkpoint, consistency_proof)
                if checkpoint.size == previous.size and previous.cosignature:
                    return previous.cosignature  # the same checkpoint again: the one cosignature of this size
            line = signednote.cosign(checkpoint.body, self.signer, int(time.time()))
            new = LogState(
                origin=checkpoint.origin, log_key=log_vkey.strip(), size=checkpoint.size, root=checkpoint.root,
                checkpoint=note_text.rstrip("\n") + "\n" + line, cosignature=line, updated_at=_now_text(),
            )
            states[checkpoint.origin] = new
            self._persist(states, {
                "event": "cosign", "origin": checkpoint.origin, "size": checkpoint.size,
                "root": base64.b64encode(checkpoint.root).decode(), "time": new.updated_at,
            })
            return line

    @staticmethod
    def _check_extends(previous: LogState, checkpoint: signednote.Checkpoint, proof: Sequence[bytes]) -> None:
        if checkpoint.size < previous.size:
            raise WitnessRefused(
                "shrink", f"检查点大小 {checkpoint.size} 小于已签署的大小 {previous.size}：日志被截短或回退。",
                known_size=previous.size,
            )
        if checkpoint.size == previous.size:
            if checkpoint.root != previous.root:
                raise WitnessRefused(
                    "conflict", f"大小 {checkpoint.size} 已签署过另一个根哈希：日志出现分叉。", known_size=previous.size
                )
            if proof:
                raise WitnessRefused("inconsistent", "大小相同的检查点不应附带一致性证明。")
            return
        if not merkle.verify_consistency(previous.size, checkpoint.size, previous.root, checkpoint.root, proof):
            raise WitnessRefused(
                "inconsistent",
                f"从已签署的大小 {previous.size} 到 {checkpoint.size} 的一致性证明缺失或无效：拒绝签署。",
                known_size=previous.size,
            )

    def accept_restore(self, statement_text: str, log_vkey: str, *, approval: str | None = None) -> LogState:
        """Continue witnessing a log from the checkpoint named in the log operator's signed restore statement.

        The statement must be signed with the log's pinned key and acknowledge exactly what this witness holds
        (size and root): an operator cannot skip over checkpoints co-signed after the statement was written.
        The log key alone is not enough (ADR 0017; whoever holds it can sign any history): the restored checkpoint
        must be a **proven prefix** of what this witness holds — a consistency proof from the restored size to the
        witnessed size, attached to the statement ("consistency <old> <new>" and the hashes) — or this witness's
        operator must approve that exact size and root (`approval`, a note signed with the witness key:
        `approve_restore`). A same-size rewrite with another root can therefore never be accepted without the
        operator's signature on it."""
        statement_text, proof = split_restore_submission(statement_text)
        statement = open_restore_statement(statement_text, log_vkey)
        with self._locked():
            states = _read_states(self.state_dir)
            previous = states.get(statement.origin)
            if previous is None:
                raise WitnessRefused("unknown_log", f"见证方没有日志 {statement.origin} 的记录。")
            if previous.log_key.strip() != log_vkey.strip():
                raise WitnessRefused("key_mismatch", f"日志 {statement.origin} 已绑定另一把公钥：{previous.log_key}")
            if statement.witnessed_size != previous.size or statement.witnessed_root not in (None, previous.root):
                raise WitnessRefused(
                    "stale",
                    f"恢复声明针对的见证大小为 {statement.witnessed_size}，而见证方当前记录为 {previous.size}。",
                    known_size=previous.size,
                )
            if statement.ledger_size == previous.size and statement.ledger_root == previous.root:
                raise WitnessRefused("bad_request", "恢复声明中的账本与见证方记录一致，无需接受。")
            how = self._restore_basis(statement, previous, proof, approval)
            new = LogState(
                origin=statement.origin, log_key=previous.log_key, size=statement.ledger_size,
                root=statement.ledger_root, checkpoint="", cosignature="", updated_at=_now_text(),
            )
            states[statement.origin] = new
            self._persist(states, {
                "event": "restore", "origin": statement.origin, "size": statement.ledger_size,
                "root": base64.b64encode(statement.ledger_root).decode(), "previous_size": previous.size,
                "previous_root": base64.b64encode(previous.root).decode(), "time": new.updated_at,
                "statement": statement_text, "basis": how, "approval": approval or "",
            })
            return new

    def _restore_basis(self, statement: RestoreStatement, previous: LogState, proof: Sequence[bytes],
                       approval: str | None) -> str:
        """"prefix" when the proof shows the restored tree is a prefix of the witnessed one, "approved" when this
        witness's operator signed exactly this restored checkpoint; otherwise refuse (422)."""
        if (proof and statement.ledger_size < previous.size and len(proof) <= MAX_PROOF_HASHES
                and merkle.verify_consistency(statement.ledger_size, previous.size, statement.ledger_root,
                                              previous.root, proof)):
            return "prefix"
        if approval is not None:
            try:
                note = signednote.parse_note(approval.replace("\r\n", "\n").rstrip("\n") + "\n")
            except signednote.NoteError as exc:
                raise WitnessRefused("bad_request", f"批准文件格式错误：{exc}") from exc
            verifier = parse_vkey(self.signer.verifier_key())
            if not signednote.verify_signature(note, verifier):
                raise WitnessRefused("bad_signature", "批准文件没有本见证方密钥的有效签名。")
            if (note.origin != APPROVAL_PREFIX + statement.origin or note.size != statement.ledger_size
                    or note.root != statement.ledger_root):
                raise WitnessRefused("inconsistent", "批准文件批准的不是这份恢复声明中的账本大小和根哈希。")
            return "approved"
        raise WitnessRefused(
            "inconsistent",
            f"恢复后的账本（大小 {statement.ledger_size}）没有被证明是见证方已签署账本（大小 {previous.size}）的前缀："
            "请附上一致性证明（zhifa record_restore --leaves），或由见证方运维人员核实后签署批准"
            "（zhifa witness approve-restore）。",
            known_size=previous.size,
        )

    def approve_restore(self, statement_text: str, log_vkey: str) -> str:
        """The witness operator's signature on exactly the restored checkpoint of a restore statement (a note
        "zhifa-restore-approval/v1 <origin>", size, root), to be passed to `accept_restore(approval=…)`."""
        statement_text, _proof = split_restore_submission(statement_text)
        statement = open_restore_statement(statement_text, log_vkey)
        body = signednote.checkpoint_body(APPROVAL_PREFIX + statement.origin, statement.ledger_size,
                                          statement.ledger_root)
        return signednote.sign_note(body + f"approved {_now_text()}\n", self.signer)

    def history(self) -> list[dict[str, Any]]:
        path = self.state_dir / HISTORY_FILE
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- Submissions: a checkpoint with an optional consistency proof, as a file or request body ----------------------


@dataclass(frozen=True)
class Submission:
    note: str
    old_size: int | None
    proof: list[bytes]


def _proof_hashes(lines: Sequence[str]) -> list[bytes]:
    hashes = []
    for line in lines:
        try:
            h = base64.b64decode(line.strip(), validate=True)
        except ValueError as exc:
            raise WitnessRefused("bad_request", f"一致性证明中的哈希不是 base64：{line!r}") from exc
        if len(h) != merkle.HASH_SIZE:
            raise WitnessRefused("bad_request", "一致性证明中的哈希长度不是 32 字节。")
        hashes.append(h)
    return hashes


def parse_submission(text: str) -> Submission:
    """Read a checkpoint to co-sign, in one of three forms:

    1. the signed note alone (no proof: accepted only on first use or for the stored size);
    2. the note, a blank line, then "consistency <old> <new>" and the proof hashes in base64, one per line
       (the output of `zhifa archive proof OLD_SIZE`);
    3. a C2SP tlog-witness add-checkpoint body: "old <size>", the proof hashes one per line, a blank line, the note.
    """
    text = text.replace("\r\n", "\n")
    if text.startswith("old "):
        head, sep, note = text.partition("\n\n")
        if not sep:
            raise WitnessRefused("bad_request", "请求缺少检查点。")
        lines = head.split("\n")
        size_text = lines[0][4:]
        if not size_text.isdigit():
            raise WitnessRefused("bad_request", "“old” 行的大小无效。")
        return Submission(note.rstrip("\n") + "\n", int(size_text), _proof_hashes(lines[1:]))
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("consistency "):
            parts = line.split()
            if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
                raise WitnessRefused("bad_request", f"一致性证明标题行格式错误：{line!r}")
            note = "\n".join(lines[:i]).rstrip("\n") + "\n"
            proof = _proof_hashes([x for x in lines[i + 1 :] if x.strip()])
            try:
                size = signednote.parse_note(note).size
            except signednote.NoteError as exc:
                raise WitnessRefused("bad_request", f"检查点格式错误：{exc}") from exc
            if int(parts[2]) != size:
                raise WitnessRefused("bad_request", f"一致性证明的终点 {parts[2]} 与检查点大小 {size} 不符。")
            return Submission(note, int(parts[1]), proof)
    return Submission(text.rstrip("\n") + "\n", None, [])


def submission_text(note: str, old_size: int, proof: Sequence[bytes]) -> str:
    """Form 2 of `parse_submission`."""
    size = signednote.parse_note(note).size
    hashes = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    return f"{note.rstrip(chr(10))}\n\nconsistency {old_size} {size}\n{hashes}"


# --- Restore statements ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreStatement:
    origin: str
    ledger_size: int
    ledger_root: bytes
    witnessed_size: int
    witnessed_root: bytes | None
    operator: str
    time: str
    reason: str
    body: str


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line or "-"


def restore_statement_body(
    *, origin: str, ledger_size: int, ledger_root: bytes, witnessed_size: int, witnessed_root: bytes | None,
    operator: str, reason: str, at: datetime,
) -> str:
    """The text a log operator signs with the log key after restoring an old backup. It is shaped like a checkpoint
    (origin line, size, root, then extension lines) so the signed-note code reads it, but its origin line starts
    with "zhifa-restore/v1 ", so it can never be taken for a checkpoint of the log."""
    witnessed = base64.b64encode(witnessed_root).decode() if witnessed_root is not None else "-"
    return (
        f"{RESTORE_PREFIX}{origin}\n{ledger_size}\n{base64.b64encode(ledger_root).decode()}\n"
        f"witnessed {witnessed_size} {witnessed}\n"
        f"operator {_one_line(operator)}\n"
        f"time {at.astimezone(UTC).isoformat(timespec='seconds').replace('+00:00', 'Z')}\n"
        f"reason {_one_line(reason)}\n"
    )


def open_restore_statement(text: str, log_vkey: str) -> RestoreStatement:
    """Parse a signed restore statement and check its signature by the log key; raise WitnessRefused if not valid."""
    try:
        note = signednote.parse_note(text.replace("\r\n", "\n").rstrip("\n") + "\n")
        verifier = parse_vkey(log_vkey)
    except signednote.NoteError as exc:
        raise WitnessRefused("bad_request", f"恢复声明格式错误：{exc}") from exc
    if not note.origin.startswith(RESTORE_PREFIX):
        raise WitnessRefused("bad_request", "这不是恢复声明。")
    if not signednote.verify_signature(note, verifier):
        raise WitnessRefused("bad_signature", "恢复声明没有账本公钥的有效签名。")
    fields: dict[str, str] = {}
    for line in note.body.split("\n")[3:]:
        if line:
            key, _sep, value = line.partition(" ")
            fields[key] = value
    try:
        w_size, w_root = fields["witnessed"].split(" ")
        return RestoreStatement(
            origin=note.origin[len(RESTORE_PREFIX) :], ledger_size=note.size, ledger_root=note.root,
            witnessed_size=int(w_size), witnessed_root=None if w_root == "-" else base64.b64decode(w_root),
            operator=fields["operator"], time=fields["time"], reason=fields["reason"], body=note.body,
        )
    except (KeyError, ValueError) as exc:
        raise WitnessRefused("bad_request", f"恢复声明缺少字段：{exc}") from exc


def split_restore_submission(text: str) -> tuple[str, list[bytes]]:
    """A restore statement, optionally followed by a blank line, "consistency <restored> <witnessed>" and the proof
    hashes (base64, one per line): return the statement and the proof."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if line.startswith("consistency "):
            parts = line.split()
            if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
                raise WitnessRefused("bad_request", f"一致性证明标题行格式错误：{line!r}")
            return "\n".join(lines[:i]).rstrip("\n") + "\n", _proof_hashes([x for x in lines[i + 1 :] if x.strip()])
    return text, []
