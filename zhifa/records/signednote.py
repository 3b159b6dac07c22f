"""C2SP signed notes, tlog checkpoints and tlog cosignatures with Ed25519. Pure Python, no Django.

A checkpoint body is "<origin>\\n<size>\\n<base64 root>\\n"; the note is the body, a blank line, then signature
lines "— <key name> <base64(key id ‖ signature)>". Key id = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], with type
0x01 for an Ed25519 note signature and 0x04 for a witness cosignature (cosignature/v1, which signs
"cosignature/v1\\ntime <t>\\n" + body and carries the 8-byte timestamp before the signature).
Used by the application, by `zhifa witness` and by the offline verifier.

SM mode (ADR 0020) adds a second signature line by an SM2 key after the Ed25519 one (which stays primary). C2SP
assigns no type byte to SM2, so it uses 0xff followed by the identifier "zhifa.sm2-sm3/v1" (the spec's rule for
unassigned types) in the key id; the signature is OpenSSL's DER SM2/SM3 signature over the note text with the
default distid. Verifiers that do not know the SM2 key ignore the line, as C2SP requires.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zhifa.common.keyfiles import read_or_create
from zhifa.records import sm

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
ALG_SM2 = 0xFF  # C2SP: "reserved for signature types without an identifier byte", followed by SM2_TYPE_ID
SM2_TYPE_ID = b"zhifa.sm2-sm3/v1"
DASH = "\u2014"


class NoteError(ValueError):
    """A note, checkpoint or key that does not parse."""


def key_id(name: str, alg: int, public_raw: bytes) -> bytes:
    kind = bytes([alg]) + (SM2_TYPE_ID if alg == ALG_SM2 else b"")
    return hashlib.sha256(name.encode() + b"\n" + kind + public_raw).digest()[:4]


def _public_ok(alg: int, public: bytes) -> bool:
    if alg in (ALG_ED25519, ALG_COSIGNATURE_V1):
        return len(public) == 32
    return alg == ALG_SM2 and len(public) == 65 and public[0] == 4


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Signer:
    name: str
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return _raw(self.private.public_key())

    def verifier_key(self, alg: int = ALG_ED25519) -> str:
        """The vkey text: name+hex(key id)+base64(alg ‖ public key)."""
        kid = key_id(self.name, alg, self.public_raw)
        return f"{self.name}+{kid.hex()}+{base64.b64encode(bytes([alg]) + self.public_raw).decode()}"


@dataclass(frozen=True)
class Verifier:
    name: str
    alg: int
    public_raw: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.alg, self.public_raw)

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        try:
            name, hex_id, b64 = vkey.strip().split("+", 2)  # base64 may itself contain "+"
            raw = base64.b64decode(b64, validate=True)
            alg, public = raw[0], raw[1:]
            if not _public_ok(alg, public):
                raise NoteError("unsupported key")
            verifier = cls(name, alg, public)
            if verifier.id.hex() != hex_id:
                raise NoteError("key id does not match the key")
            return verifier
        except (ValueError, IndexError) as exc:
            raise NoteError(f"bad verifier key: {exc}") from exc


def load_or_create_signer(path: Path, name: str) -> Signer:
    """The Ed25519 key in `path` (PEM, PKCS#8), created once with mode 0600 on first use: when two processes race,
    one key wins and both use it (ADR 0030)."""
    pem = read_or_create(path, lambda: Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise NoteError(f"{path} is not an Ed25519 private key")
    return Signer(name, key)


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    if "\n" in origin or not origin:
        raise NoteError("origin must be one non-empty line")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_note(body: str, signer: Signer) -> str:
    sig = signer.private.sign(body.encode())
    kid = key_id(signer.name, ALG_ED25519, signer.public_raw)
    return f"{body}\n{DASH} {signer.name} {base64.b64encode(kid + sig).decode()}\n"


def sm2_vkey(name: str, public: bytes) -> str:
    """The vkey text of an SM2 co-signing key: name+hex(key id)+base64(0xff ‖ 65-byte point)."""
    kid = key_id(name, ALG_SM2, public)
    return f"{name}+{kid.hex()}+{base64.b64encode(bytes([ALG_SM2]) + public).decode()}"


def sm2_signature_line(body: str, name: str, key: sm.Sm2Key) -> str:
    """The SM2 co-signature line for `body` (append it to a note signed by the primary Ed25519 key)."""
    kid = key_id(name, ALG_SM2, key.public)
    return f"{DASH} {name} {base64.b64encode(kid + key.sign(body.encode())).decode()}\n"


def cosign(body: str, signer: Signer, timestamp: int) -> str:
    """A cosignature/v1 line for `body` by a witness."""
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()
    sig = signer.private.sign(message)
    kid = key_id(signer.name, ALG_COSIGNATURE_V1, signer.public_raw)
    return f"{DASH} {signer.name} {base64.b64encode(kid + struct.pack('>Q', timestamp) + sig).decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    body: str
    signatures: tuple[tuple[str, bytes], ...]  # (key name, key id ‖ signature bytes)


def parse_note(text: str) -> Checkpoint:
    if "\n\n" not in text:
        raise NoteError("note has no signature block")
    body, _sep, sigs = text.partition("\n\n")
    body += "\n"
    lines = body.split("\n")
    if len(lines) < 4:
        raise NoteError("checkpoint body too short")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError("bad tree size")
    try:
        root = base64.b64decode(root_text, validate=True)
    except ValueError as exc:
        raise NoteError("bad root hash") from exc
    if len(root) != 32:
        raise NoteError("bad root hash length")
    signatures = []
    for line in sigs.splitlines():
        if not line.startswith(DASH + " "):
            raise NoteError("bad signature line")
        try:
            name, b64 = line[2:].rsplit(" ", 1)
            signatures.append((name, base64.b64decode(b64, validate=True)))
        except ValueError as exc:
            raise NoteError("bad signature line") from exc
    return Checkpoint(origin, int(size_text), root, body, tuple(signatures))


def verify_signature(checkpoint: Checkpoint, verifier: Verifier) -> bool:
    """True if `checkpoint` carries a valid signature (or cosignature) by `verifier`."""
    if verifier.alg == ALG_SM2:
        return any(
            name == verifier.name and blob[:4] == verifier.id
            and sm.verify(verifier.public_raw, checkpoint.body.encode(), blob[4:])
            for name, blob in checkpoint.signatures
        )
    public = Ed25519PublicKey.from_public_bytes(verifier.public_raw)
    for name, blob in checkpoint.signatures:
        if name != verifier.name or blob[:4] != verifier.id:
            continue
        try:
            if verifier.alg == ALG_ED25519:
                public.verify(blob[4:], checkpoint.body.encode())
            else:
                (timestamp,) = struct.unpack(">Q", blob[4:12])
                message = f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint.body.encode()
                public.verify(blob[12:], message)
            return True
        except (InvalidSignature, struct.error, ValueError):
            return False
    return False
