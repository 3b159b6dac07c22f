"""Issue 10 item 8, ADR 0030: one key location (ZHIFA_KEY_DIR), every key created once, never per process.

Two processes (two app servers, or a server and a worker) starting at once against the same empty key folder end
with one ledger key, one SM2 key, one personal-data master key and one seal key per agency, and both sign with the
same public key."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from zhifa.common.keyfiles import create_once
from zhifa.records import signednote

REPO = Path(__file__).resolve().parents[3]

# One "app process": Django with the embedded settings, waits until the test says go, then uses every key.
PROCESS = r"""
import base64, json, os, sys, time
from pathlib import Path
from types import SimpleNamespace

import django
django.setup()

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from zhifa.documents import signing
from zhifa.records import checkpoints, personal, signednote

me, go = sys.argv[1], Path(sys.argv[2])
Path(go.parent / f"ready-{me}").touch()
while not go.exists():
    time.sleep(0.001)
agency = SimpleNamespace(public_id="agency-1", name="某县水利局", uscc="11330000002482161A")
seal = signing.seal_for(agency)
seal_key = serialization.load_pem_private_key(seal.key_pem, password=None)
body = signednote.checkpoint_body(settings.ZHIFA_LEDGER_ORIGIN, 1, bytes(32))
print(json.dumps({
    "vkey": checkpoints.public_key(),
    "note": checkpoints.sign_checkpoint_body(body),
    "sm2": checkpoints.sm2_key().public.hex(),
    "pii": personal.current_key().key_id,
    "seal_cert": seal.cert_pem.decode(),
    "seal_signature": base64.b64encode(seal_key.sign(me.encode(), ec.ECDSA(hashes.SHA256()))).decode(),
    "paths": [str(settings.ZHIFA_LEDGER_KEY_FILE), str(settings.ZHIFA_SM2_KEY_FILE),
              str(settings.ZHIFA_PII_KEY_FILE), str(settings.ZHIFA_SEAL_DIR)],
}))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIFA_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(REPO), DJANGO_SETTINGS_MODULE="zhifa.settings",
        ZHIFA_DATA_DIR=str(tmp_path / "data"), ZHIFA_KEY_DIR=str(tmp_path / "keys"),
    )
    return env


def test_two_processes_starting_at_once_share_one_key_of_each_kind(tmp_path):
    """ADR 0030: same empty ZHIFA_KEY_DIR, two processes released together → one key of each kind, same signer."""
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", PROCESS, name, str(go)], env=_env(tmp_path), cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("server-a", "server-b")
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{n}").exists() for n in ("server-a", "server-b")):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), procs[0].stderr
        time.sleep(0.01)
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    a, b = results

    keys = tmp_path / "keys"
    assert a["paths"] == [str(keys / "ledger-ed25519.pem"), str(keys / "ledger-sm2.pem"),
                          str(keys / "pii-master.key"), str(keys / "seals")]
    # One file of each kind, no temporary files left behind, all 0600.
    assert sorted(p.name for p in keys.iterdir()) == ["ledger-ed25519.pem", "ledger-sm2.pem", "pii-master.key",
                                                      "seals"]
    assert [p.name for p in (keys / "seals").iterdir()] == ["agency-agency-1.pem"]
    for path in [*keys.glob("*.p*"), *keys.glob("*.key"), *(keys / "seals").iterdir()]:
        assert path.stat().st_mode & 0o777 == 0o600, path

    # Both sign with the same keys: each one's signature verifies under the other's public key.
    assert a["vkey"] == b["vkey"] and a["sm2"] == b["sm2"] and a["pii"] == b["pii"]
    verifier = signednote.Verifier.parse(a["vkey"])
    for result in (a, b):
        assert signednote.verify_signature(signednote.parse_note(result["note"]), verifier)
    assert a["seal_cert"] == b["seal_cert"]
    public = x509.load_pem_x509_certificate(a["seal_cert"].encode()).public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)

    for name, result in (("server-a", a), ("server-b", b)):
        public.verify(base64.b64decode(result["seal_signature"]), name.encode(), ec.ECDSA(hashes.SHA256()))


def test_create_once_racing_threads_one_wins(tmp_path):
    """ADR 0030: writers that all found the file missing race to link; exactly one wins, nobody sees a partial key,
    and no temporary file is left behind."""
    path = tmp_path / "keys" / "k.pem"
    barrier = threading.Barrier(8)
    outcomes: list[bool] = []
    seen: list[bytes] = []

    def make(n: int) -> bytes:
        barrier.wait()  # every writer has passed the exists() check before any links
        return f"key {n}\n".encode() * 1000

    def worker(n: int) -> None:
        outcomes.append(create_once(path, lambda: make(n)))
        seen.append(path.read_bytes())

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(True) == 1
    assert len(set(seen)) == 1 and len(seen[0]) == len(b"key 0\n") * 1000
    assert [p.name for p in path.parent.iterdir()] == ["k.pem"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert create_once(path, lambda: b"other") is False and path.read_bytes() == seen[0]
