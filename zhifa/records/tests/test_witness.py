"""The witness (reliability.md A7, TP-3, TP-5): it co-signs only checkpoints that extend what it co-signed, with
check-and-update atomic across threads and processes. No database: the witness is pure."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from zhifa.records import merkle, signednote
from zhifa.records.witness import (
    KEY_FILE,
    STATE_FILE,
    Witness,
    WitnessError,
    WitnessRefused,
    open_restore_statement,
    parse_submission,
    parse_vkey,
    read_log_state,
    restore_statement_body,
    submission_text,
)

ORIGIN = "test.example/ledger"


class Log:
    """A log outside any database: leaf hashes and a signing key."""

    def __init__(self, n: int, *, tag: str = "", signer: signednote.Signer | None = None) -> None:
        self.signer = signer or signednote.Signer(ORIGIN, Ed25519PrivateKey.generate())
        self.leaves = [merkle.leaf_hash(f"entry {i}{tag if i >= 3 else ''}".encode()) for i in range(n)]

    @property
    def vkey(self) -> str:
        return self.signer.verifier_key()

    def root(self, size: int) -> bytes:
        return merkle.root(self.leaves[:size])

    def note(self, size: int) -> str:
        return signednote.sign_note(signednote.checkpoint_body(ORIGIN, size, self.root(size)), self.signer)

    def proof(self, old: int, new: int) -> list[bytes]:
        return merkle.consistency_proof(self.leaves, old, new)


@pytest.fixture
def log() -> Log:
    return Log(64)


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    return Witness(tmp_path / "witness", "bureau.example/witness")


def refused(code: str):  # type: ignore[no-untyped-def]
    return pytest.raises(WitnessRefused, match=f"^{code}:")


def test_init_creates_a_private_key_and_fixes_the_name(tmp_path: Path) -> None:
    w = Witness(tmp_path / "w", "bureau.example/witness")
    assert stat.S_IMODE((tmp_path / "w" / KEY_FILE).stat().st_mode) == 0o600
    assert w.vkey.startswith("bureau.example/witness+")
    assert parse_vkey(w.vkey).alg == signednote.ALG_COSIGNATURE_V1
    again = Witness(tmp_path / "w")
    assert again.vkey == w.vkey and again.name == w.name
    with pytest.raises(WitnessError):
        Witness(tmp_path / "w", "other/witness")
    with pytest.raises(WitnessError):
        Witness(tmp_path / "uninitialised")


def test_first_checkpoint_is_trusted_on_first_use_and_the_cosignature_verifies(witness: Witness, log: Log) -> None:
    note = log.note(5)
    line = witness.add_checkpoint(note, [], log.vkey)
    cosigned = signednote.parse_note(note + line)
    assert signednote.verify_signature(cosigned, parse_vkey(witness.vkey))
    assert signednote.verify_signature(cosigned, parse_vkey(log.vkey))
    state = read_log_state(witness.state_dir, ORIGIN)
    assert state is not None and (state.size, state.root, state.log_key) == (5, log.root(5), log.vkey)
    assert state.checkpoint == note + line
    assert stat.S_IMODE((witness.state_dir / STATE_FILE).stat().st_mode) == 0o600
    assert not [p for p in witness.state_dir.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_consistent_extension_is_cosigned_and_persisted_before_returning(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.note(5), [], log.vkey)
    witness.add_checkpoint(log.note(13), log.proof(5, 13), log.vkey, old_size=5)
    fresh = Witness(witness.state_dir)  # another instance (another process) sees it at once
    assert fresh.state(ORIGIN).size == 13  # type: ignore[union-attr]
    assert [(h["event"], h["size"]) for h in fresh.history()] == [("cosign", 5), ("cosign", 13)]


def test_same_checkpoint_again_returns_the_one_cosignature_of_that_size(witness: Witness, log: Log) -> None:
    first = witness.add_checkpoint(log.note(7), [], log.vkey)
    time.sleep(1.1)  # a new cosignature would carry a new timestamp
    assert witness.add_checkpoint(log.note(7), [], log.vkey, old_size=7) == first
    assert len(witness.history()) == 1


def test_tp3_same_size_different_root_is_refused(witness: Witness, log: Log) -> None:
    """An insider with the database and the log key rewrites history and re-signs: the witness refuses."""
    witness.add_checkpoint(log.note(10), [], log.vkey)
    forged = Log(64, tag="rewritten", signer=log.signer)
    with refused("conflict") as exc:
        witness.add_checkpoint(forged.note(10), [], log.vkey)
    assert exc.value.http_status == 409
    # ...and a longer rewritten history, with an honest-looking proof from the forged tree, is refused as well.
    with refused("inconsistent") as exc:
        witness.add_checkpoint(forged.note(20), forged.proof(10, 20), log.vkey, old_size=10)
    assert exc.value.http_status == 422
    assert witness.state(ORIGIN).root == log.root(10)  # type: ignore[union-attr]


def test_bad_signature_is_refused(witness: Witness, log: Log) -> None:
    other = Log(64)  # same origin, same tree, another key
    with refused("bad_signature") as exc:
        witness.add_checkpoint(other.note(5), [], log.vkey)
    assert exc.value.http_status == 403
    body, sep, sigs = log.note(5).partition("\n\n")
    tampered = body.replace("\n5\n", "\n6\n") + sep + sigs
    with refused("bad_signature"):
        witness.add_checkpoint(tampered, [], log.vkey)
    assert witness.state(ORIGIN) is None


def test_the_log_key_is_pinned_on_first_use(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.note(5), [], log.vkey)
    other = Log(64)
    with refused("key_mismatch"):
        witness.add_checkpoint(other.note(9), other.proof(5, 9), other.vkey)


def test_shrink_is_refused(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.note(10), [], log.vkey)
    with refused("shrink") as exc:
        witness.add_checkpoint(log.note(6), [], log.vkey)
    assert exc.value.known_size == 10
    assert witness.state(ORIGIN).size == 10  # type: ignore[union-attr]


def test_missing_or_forged_consistency_proof_is_refused(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.note(5), [], log.vkey)
    with refused("inconsistent"):
        witness.add_checkpoint(log.note(13), [], log.vkey)
    proof = log.proof(5, 13)
    for i in range(len(proof)):
        forged = list(proof)
        forged[i] = bytes([forged[i][0] ^ 1]) + forged[i][1:]
        with refused("inconsistent"):
            witness.add_checkpoint(log.note(13), forged, log.vkey)
    with refused("inconsistent"):
        witness.add_checkpoint(log.note(13), proof[:-1], log.vkey)
    with refused("inconsistent"):
        witness.add_checkpoint(log.note(13), [*proof, proof[0]], log.vkey)
    with refused("inconsistent"):  # a proof for another pair of sizes
        witness.add_checkpoint(log.note(13), log.proof(6, 13), log.vkey)
    assert witness.state(ORIGIN).size == 5  # type: ignore[union-attr]


def test_stale_old_size_is_refused_with_the_known_size(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.note(8), [], log.vkey)
    with refused("stale") as exc:
        witness.add_checkpoint(log.note(12), log.proof(5, 12), log.vkey, old_size=5)
    assert exc.value.known_size == 8 and exc.value.http_status == 409
    with refused("bad_request"):
        witness.add_checkpoint(log.note(12), [], log.vkey, old_size=13)


def test_submission_formats(log: Log) -> None:
    text = submission_text(log.note(13), 5, log.proof(5, 13))
    assert "\n\nconsistency 5 13\n" in text
    parsed = parse_submission(text)
    assert (parsed.note, parsed.old_size, parsed.proof) == (log.note(13), 5, log.proof(5, 13))
    c2sp = "old 5\n" + "".join(__import__("base64").b64encode(h).decode() + "\n" for h in log.proof(5, 13))
    parsed = parse_submission(c2sp + "\n" + log.note(13))
    assert (parsed.note, parsed.old_size, parsed.proof) == (log.note(13), 5, log.proof(5, 13))
    assert parse_submission(log.note(13)) == parse_submission(log.note(13) + "\n\n")
    assert parse_submission(log.note(13)).old_size is None
    with refused("bad_request"):
        parse_submission(log.note(13) + "\nconsistency 5 12\n")
    with refused("bad_request"):
        parse_submission(log.note(13) + "\nconsistency 5 13\nnot-base64!\n")


def _restore_statement(log: Log, restored: int, witnessed: int) -> str:
    from datetime import UTC, datetime

    body = restore_statement_body(
        origin=ORIGIN, ledger_size=restored, ledger_root=log.root(restored), witnessed_size=witnessed,
        witnessed_root=log.root(witnessed), operator="张三", reason="磁盘损坏\n从周一的备份恢复",
        at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    )
    return signednote.sign_note(body, log.signer)


def _proof_block(proof: list[bytes], old: int, new: int) -> str:
    import base64

    return f"\nconsistency {old} {new}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)


def _statement_for(log: Log, restored_root: bytes, restored: int, witnessed_root: bytes, witnessed: int) -> str:
    from datetime import UTC, datetime

    body = restore_statement_body(
        origin=ORIGIN, ledger_size=restored, ledger_root=restored_root, witnessed_size=witnessed,
        witnessed_root=witnessed_root, operator="李四", reason="恢复", at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    )
    return signednote.sign_note(body, log.signer)


def test_accept_restore_refuses_a_same_size_rewrite_signed_with_the_log_key(witness: Witness, log: Log) -> None:
    """Defect 3 / TP-3: an insider with the log key rewrites history at the same size and signs a restore statement
    for it; without the witness operator's signature on that exact root it is refused (422)."""
    witness.add_checkpoint(log.note(10), [], log.vkey)
    rewritten = Log(10, tag="rewritten", signer=log.signer)
    statement = _statement_for(log, rewritten.root(10), 10, log.root(10), 10)
    with refused("inconsistent"):
        witness.accept_restore(statement, log.vkey)
    # A proof cannot help: nothing of another root at the same size is a prefix. Nor can a proof for another pair.
    with refused("inconsistent"):
        witness.accept_restore(statement + _proof_block(log.proof(6, 10), 6, 10), log.vkey)
    # A shorter rewritten history with a made-up "proof" is refused as well.
    shorter = _statement_for(log, rewritten.root(6), 6, log.root(10), 10)
    with refused("inconsistent"):
        witness.accept_restore(shorter + _proof_block(log.proof(6, 10), 6, 10), log.vkey)
    assert witness.state(ORIGIN).root == log.root(10)  # type: ignore[union-attr]


def test_accept_restore_with_the_witness_operators_approval_of_that_exact_root(
        witness: Witness, log: Log, tmp_path: Path) -> None:
    """Defect 3: the witness operator may accept a history that is not a proven prefix only by signing its root."""
    witness.add_checkpoint(log.note(10), [], log.vkey)
    rewritten = Log(10, tag="rewritten", signer=log.signer)
    statement = _statement_for(log, rewritten.root(10), 10, log.root(10), 10)
    other = _statement_for(log, rewritten.root(9), 9, log.root(10), 10)
    approval_of_other = witness.approve_restore(other, log.vkey)
    with refused("inconsistent"):  # approval of another root
        witness.accept_restore(statement, log.vkey, approval=approval_of_other)
    foreign = Witness(tmp_path / "other-witness", "other.example/witness")
    with refused("bad_signature"):  # approval signed by someone else
        witness.accept_restore(statement, log.vkey, approval=foreign.approve_restore(statement, log.vkey))
    # Through the command line: approve-restore, then accept-restore --approval.
    (tmp_path / "statement.txt").write_text(statement)
    call_command("witness", "approve-restore", "--state", str(witness.state_dir), "--log-key", log.vkey,
                 str(tmp_path / "statement.txt"), "--output", str(tmp_path / "approval.txt"))
    with pytest.raises(CommandError, match="inconsistent"):
        call_command("witness", "accept-restore", "--state", str(witness.state_dir), "--log-key", log.vkey,
                     str(tmp_path / "statement.txt"))
    call_command("witness", "accept-restore", "--state", str(witness.state_dir), "--log-key", log.vkey,
                 str(tmp_path / "statement.txt"), "--approval", str(tmp_path / "approval.txt"))
    state = witness.state(ORIGIN)
    assert state is not None and (state.size, state.root) == (10, rewritten.root(10))
    assert witness.history()[-1]["basis"] == "approved"


def test_accept_restore_moves_the_witness_back_only_on_a_signed_statement(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.note(10), [], log.vkey)
    statement = _restore_statement(log, 6, 10)
    parsed = open_restore_statement(statement, log.vkey)
    assert (parsed.ledger_size, parsed.witnessed_size, parsed.operator) == (6, 10, "张三")
    assert parsed.reason == "磁盘损坏 从周一的备份恢复"
    with refused("bad_signature"):
        witness.accept_restore(_restore_statement(Log(64), 6, 10), log.vkey)
    with refused("stale"):
        witness.accept_restore(_restore_statement(log, 6, 9), log.vkey)
    with pytest.raises(WitnessRefused):  # a checkpoint is not a restore statement
        witness.accept_restore(log.note(6), log.vkey)
    assert witness.state(ORIGIN).size == 10  # type: ignore[union-attr]
    with refused("inconsistent"):  # ADR 0017: the log key alone is not enough, the prefix must be proven
        witness.accept_restore(statement, log.vkey)
    state = witness.accept_restore(statement + _proof_block(log.proof(6, 10), 6, 10), log.vkey)
    assert (state.size, state.root) == (6, log.root(6))
    assert witness.history()[-1]["event"] == "restore" and witness.history()[-1]["previous_size"] == 10
    # The restored log grows again (with other entries after 6) and is witnessed from 6 on.
    regrown = Log(64, tag="after restore", signer=log.signer)
    regrown.leaves[:6] = log.leaves[:6]
    line = witness.add_checkpoint(regrown.note(6), [], log.vkey, old_size=6)
    assert line  # the restored checkpoint itself gets a cosignature
    witness.add_checkpoint(regrown.note(9), regrown.proof(6, 9), log.vkey, old_size=6)
    assert witness.state(ORIGIN).size == 9  # type: ignore[union-attr]


# --- TP-5: concurrent add-checkpoint calls -----------------------------------------------------------------------

ROUNDS = 1000  # reliability.md TP-5: 1,000 rounds


def _sizes(round_: int) -> tuple[int, int]:
    n = 1 + 4 * round_
    return n, n + 1 + round_ % 3


def _submit(w: Witness, log: Log, notes: dict[int, str], size: int) -> str | None:
    """What a log does: build the proof from the size the witness holds; on "stale", rebuild and retry."""
    for _attempt in range(1000):
        held = w.state(ORIGIN)
        old = held.size if held else 0
        try:
            if old > size:
                w.add_checkpoint(notes[size], [], log.vkey)
                raise AssertionError("a smaller checkpoint was co-signed")
            return w.add_checkpoint(notes[size], log.proof(old, size), log.vkey, old_size=old)
        except WitnessRefused as exc:
            if exc.code == "shrink":
                return None
            if exc.code != "stale":
                raise
    raise AssertionError("no progress")


def _race(state_dir: Path, log: Log, notes: dict[int, str], role: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    w = Witness(state_dir)
    mine = []
    for r in range(ROUNDS):
        size = _sizes(r)[role]
        barrier.wait(timeout=60)
        line = _submit(w, log, notes, size)
        if line is not None:
            mine.append((size, line))
    results.put(mine)


class _Monitor(threading.Thread):
    """Reads the stored size over and over while the race runs."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(daemon=True)
        self.state_dir, self.seen, self.stop = state_dir, [0], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            state = read_log_state(self.state_dir, ORIGIN)
            if state is not None and state.size != self.seen[-1]:
                self.seen.append(state.size)


def _check_race(state_dir: Path, log: Log, lines: list[tuple[int, str]], monitor: _Monitor) -> None:
    w = Witness(state_dir)
    final = _sizes(ROUNDS - 1)[1]
    assert w.state(ORIGIN).size == final  # type: ignore[union-attr]
    # at most one cosignature per size, and each one verifies
    assert max(Counter(size for size, _line in lines).values()) == 1
    witness_key = parse_vkey(w.vkey)
    for size, line in lines[:20]:
        assert signednote.verify_signature(signednote.parse_note(log.note(size) + line), witness_key)
    cosigned = [h["size"] for h in w.history() if h["event"] == "cosign"]
    assert cosigned == sorted(set(cosigned)), "the stored size went down or a size was co-signed twice"
    assert sorted(cosigned) == sorted(size for size, _line in lines)
    assert monitor.seen == sorted(monitor.seen), "a reader saw the stored size decrease"
    # in every round the larger checkpoint ends up co-signed
    assert {_sizes(r)[1] for r in range(ROUNDS)} <= set(cosigned)


@pytest.fixture(scope="module")
def race_log() -> tuple[Log, dict[int, str]]:
    log = Log(_sizes(ROUNDS - 1)[1])
    sizes = {s for r in range(ROUNDS) for s in _sizes(r)}
    return log, {s: log.note(s) for s in sizes}


def test_tp5_concurrent_add_checkpoint_threads(tmp_path: Path, race_log) -> None:  # type: ignore[no-untyped-def]
    import queue

    log, notes = race_log
    Witness(tmp_path / "w", "bureau.example/witness")
    barrier, results = threading.Barrier(2), queue.Queue()  # type: ignore[var-annotated]
    monitor = _Monitor(tmp_path / "w")
    monitor.start()
    threads = [
        threading.Thread(target=_race, args=(tmp_path / "w", log, notes, role, barrier, results)) for role in (0, 1)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    monitor.stop.set()
    monitor.join()
    lines = results.get_nowait() + results.get_nowait()
    _check_race(tmp_path / "w", log, lines, monitor)


def test_tp5_concurrent_add_checkpoint_processes(tmp_path: Path, race_log) -> None:  # type: ignore[no-untyped-def]
    log, notes = race_log
    Witness(tmp_path / "w", "bureau.example/witness")
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_race, args=(tmp_path / "w", log, notes, role, barrier, results)) for role in (0, 1)
    ]
    for p in procs:
        p.start()
    monitor = _Monitor(tmp_path / "w")  # started after the fork: a child must not inherit a thread's locks
    monitor.start()
    lines = results.get(timeout=300) + results.get(timeout=300)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    monitor.stop.set()
    monitor.join()
    _check_race(tmp_path / "w", log, lines, monitor)


# --- The command -------------------------------------------------------------------------------------------------


def test_witness_command(tmp_path: Path, log: Log, capsys: pytest.CaptureFixture[str]) -> None:
    state = str(tmp_path / "w")
    call_command("witness", "init", "--state", state, "--name", "bureau.example/witness")
    out = capsys.readouterr().out
    vkey = Witness(Path(state)).vkey
    assert vkey in out
    first = tmp_path / "cp5.txt"
    first.write_text(log.note(5))
    call_command("witness", "cosign", "--state", state, "--log-key", log.vkey, str(first))
    line = capsys.readouterr().out
    assert line.startswith("\u2014 bureau.example/witness ")
    second = tmp_path / "cp9.txt"
    second.write_text(submission_text(log.note(9), 5, log.proof(5, 9)))
    call_command("witness", "cosign", "--state", state, "--log-key", log.vkey, "--note", str(second))
    cosigned = signednote.parse_note(capsys.readouterr().out)
    assert cosigned.size == 9 and signednote.verify_signature(cosigned, parse_vkey(vkey))
    shrink = tmp_path / "cp7.txt"
    shrink.write_text(log.note(7))
    with pytest.raises(CommandError, match="shrink"):
        call_command("witness", "cosign", "--state", state, "--log-key", log.vkey, str(shrink))
    call_command("witness", "show", "--state", state)
    out = capsys.readouterr().out
    assert "大小 9" in out and log.vkey in out
    with pytest.raises(CommandError, match="init"):
        call_command("witness", "show", "--state", str(tmp_path / "missing"))


def test_state_file_is_always_complete_json(tmp_path: Path, log: Log) -> None:
    """Readers never see a half-written state file (it is replaced whole)."""
    w = Witness(tmp_path / "w", "bureau.example/witness")
    stop = threading.Event()
    bad: list[str] = []

    def read() -> None:
        while not stop.is_set():
            try:
                text = (tmp_path / "w" / STATE_FILE).read_text()
            except FileNotFoundError:
                continue
            try:
                json.loads(text)
            except ValueError:
                bad.append(text)

    reader = threading.Thread(target=read)
    reader.start()
    old = 0
    for size in range(1, 40):
        w.add_checkpoint(log.note(size), log.proof(old, size), log.vkey, old_size=old)
        old = size
    stop.set()
    reader.join()
    assert not bad
    assert os.listdir(tmp_path / "w").count(STATE_FILE) == 1
