"""C2SP signed notes: keys whose base64 contains '+' parse; signatures and cosignatures verify; edits fail."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhifa.records import merkle, signednote


def _signer_with_plus(name: str) -> signednote.Signer:
    while True:
        signer = signednote.Signer(name, Ed25519PrivateKey.generate())
        if "+" in signer.verifier_key().split("+", 2)[2]:
            return signer


def test_verifier_key_with_plus_in_base64_parses_and_verifies() -> None:
    signer = _signer_with_plus("zhifa.local/ledger")
    verifier = signednote.Verifier.parse(signer.verifier_key())
    note = signednote.sign_note(signednote.checkpoint_body("zhifa.local/ledger", 3, merkle.EMPTY_ROOT), signer)
    checkpoint = signednote.parse_note(note)
    assert checkpoint.size == 3 and signednote.verify_signature(checkpoint, verifier)
    forged = signednote.parse_note(note.replace("\n3\n", "\n4\n", 1))
    assert not signednote.verify_signature(forged, verifier)


def test_cosignature_verifies_with_the_witness_key() -> None:
    log, witness = _signer_with_plus("log"), _signer_with_plus("witness")
    body = signednote.checkpoint_body("log", 7, merkle.leaf_hash(b"x"))
    note = signednote.sign_note(body, log) + signednote.cosign(body, witness, 1_790_000_000)
    checkpoint = signednote.parse_note(note)
    cosigner = signednote.Verifier.parse(witness.verifier_key(signednote.ALG_COSIGNATURE_V1))
    assert signednote.verify_signature(checkpoint, cosigner)
    assert signednote.verify_signature(checkpoint, signednote.Verifier.parse(log.verifier_key()))
