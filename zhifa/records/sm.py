"""National algorithms (商用密码) for the SM mode: SM3 hashes and SM2 signatures (issue 9 defect 15; TP-7; ADR 0020).

No Django at import time (the offline verifier uses this module). SM3 comes from OpenSSL through `hashlib` (OpenSSL
3.0 ships it), with gmalg's pure-Python SM3 when a Python is built without it; SM2 signatures come from gmalg (pure
Python; `cryptography` rejects SM2 keys). Encodings are OpenSSL's, so that the command line checks everything:

- signatures: SM2 with SM3 over Z_A ‖ M, the signer ID (distid) "1234567812345678" (GB/T 35276's default),
  DER-encoded SEQUENCE { r INTEGER, s INTEGER }: `openssl pkeyutl -verify -pubin -inkey key.pem -rawin
  -digest sm3 -pkeyopt distid:1234567812345678 -in message -sigfile sig.der`;
- private keys: PKCS#8 PEM (id-ecPublicKey with the sm2 curve OID 1.2.156.10197.1.301), written 0600;
- public keys: SubjectPublicKeyInfo PEM, or the 65-byte uncompressed point.

A pure-Python library is fine for development and for the signature format; a 密评 needs certified crypto products
(reliability.md A4): a deployment swaps the key file for a signing device behind `Sm2Key.sign`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from zhifa.common.keyfiles import read_or_create

DISTID = b"1234567812345678"
SM2_CURVE_OID = "1.2.156.10197.1.301"
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"
# GB/T 32905-2016 appendix A: SM3("abc") and SM3("abcd" × 16).
SM3_VECTORS = {
    b"abc": "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
    b"abcd" * 16: "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
}
_CHUNK = 1024 * 1024


class SmError(ValueError):
    """A key or signature that does not parse."""


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


class _GmalgSM3:
    def __init__(self) -> None:
        import gmalg

        self._h = gmalg.SM3()

    def update(self, data: bytes, /) -> None:
        self._h.update(data)

    def hexdigest(self) -> str:
        return bytes(self._h.value()).hex()


def sm3_new(*, pure: bool = False) -> Hasher:
    """A streaming SM3 hasher: OpenSSL's through hashlib, else gmalg's (or gmalg's when `pure`)."""
    if not pure:
        try:
            return hashlib.new("sm3")
        except ValueError:
            pass
    return _GmalgSM3()


def sm3_hex(data: bytes) -> str:
    h = sm3_new()
    h.update(data)
    return h.hexdigest()


def sm3_file(path: Path) -> str:
    h = sm3_new()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sm_mode() -> bool:
    """ZHIFA_SM_MODE (off by default): SM3 beside SHA-256, SM2 co-signatures beside Ed25519."""
    from django.conf import settings

    return bool(settings.ZHIFA_SM_MODE)


# ---------------------------------------------------------------------------------------------------------------
# SM2
# ---------------------------------------------------------------------------------------------------------------


def _signature_der(r: int, s: int) -> bytes:
    from asn1crypto.algos import DSASignature

    return bytes(DSASignature({"r": r, "s": s}).dump())


def _signature_rs(der: bytes) -> tuple[int, int]:
    from asn1crypto.algos import DSASignature

    try:
        sig = DSASignature.load(der, strict=True)
        r, s = int(sig["r"].native), int(sig["s"].native)
    except (ValueError, TypeError) as exc:
        raise SmError("not a DER SM2 signature") from exc
    if _signature_der(r, s) != der:  # only the one DER encoding: no malleable variants
        raise SmError("not a DER SM2 signature")
    return r, s


def _pem(label: str, der: bytes) -> bytes:
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def _unpem(data: bytes) -> bytes:
    from asn1crypto import pem

    if pem.detect(data):
        return bytes(pem.unarmor(data)[2])
    return data


# Both DER structures have a fixed length for SM2 (a 32-byte secret, a 65-byte point): fixed prefixes, checked
# against OpenSSL's output in the tests.
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
_PKCS8_PREFIX = bytes.fromhex("308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420")
_PKCS8_MIDDLE = bytes.fromhex("a144034200")


def public_spki_der(public: bytes) -> bytes:
    if len(public) != 65 or public[0] != 4:
        raise SmError("bad SM2 public key point")
    return _SPKI_PREFIX + public


def public_pem(public: bytes) -> bytes:
    return _pem("PUBLIC KEY", public_spki_der(public))


def load_public(data: bytes) -> bytes:
    """The 65-byte point from a SubjectPublicKeyInfo (PEM or DER) of an SM2 key, or from the raw point."""
    from asn1crypto import keys

    if len(data) == 65 and data[0] == 4:
        return data
    try:
        info = keys.PublicKeyInfo.load(_unpem(data))
        curve = info["algorithm"]["parameters"].chosen
        point = bytes(info["public_key"].native if isinstance(info["public_key"].native, bytes)
                      else info["public_key"].contents[1:])
        if getattr(curve, "dotted", None) != SM2_CURVE_OID:
            raise SmError("not an SM2 public key")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SmError(f"bad SM2 public key: {exc}") from exc
    if len(point) != 65 or point[0] != 4:
        raise SmError("bad SM2 public key point")
    return point


def verify(public: bytes, message: bytes, signature_der: bytes, *, distid: bytes = DISTID) -> bool:
    """True if `signature_der` is an SM2/SM3 signature of `message` by the key with point `public`."""
    import gmalg

    try:
        r, s = _signature_rs(signature_der)
        checker = gmalg.SM2(pk=public, uid=distid)
        return bool(checker.verify(message, r.to_bytes(32, "big"), s.to_bytes(32, "big")))
    except (SmError, ValueError, ArithmeticError, gmalg.errors.GMError):
        return False


@dataclass(frozen=True)
class Sm2Key:
    private: bytes  # 32 bytes
    public: bytes  # 65 bytes, 04 ‖ x ‖ y

    @classmethod
    def generate(cls) -> Sm2Key:
        import gmalg

        sk, pk = gmalg.SM2().generate_keypair()
        return cls(sk.rjust(32, b"\x00"), pk)

    @classmethod
    def from_pem(cls, data: bytes) -> Sm2Key:
        """A PKCS#8 (or SEC1 "EC PRIVATE KEY") SM2 key, e.g. from `openssl genpkey -algorithm EC -pkeyopt
        ec_paramgen_curve:SM2`."""
        import gmalg
        from asn1crypto import keys

        der = _unpem(data)
        try:
            try:
                info = keys.PrivateKeyInfo.load(der, strict=True)
                if info["private_key_algorithm"]["parameters"].chosen.dotted != SM2_CURVE_OID:
                    raise SmError("not an SM2 key")
                ec: Any = keys.ECPrivateKey.load(info["private_key"].contents)
            except ValueError:
                ec = keys.ECPrivateKey.load(der, strict=True)
            secret = int(ec["private_key"].native)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SmError(f"bad SM2 private key: {exc}") from exc
        private = secret.to_bytes(32, "big")
        public = gmalg.SM2().generate_pk(private)
        return cls(private, public)

    def pkcs8_pem(self) -> bytes:
        """PKCS#8 PEM, byte for byte what `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2` writes."""
        return _pem("PRIVATE KEY", _PKCS8_PREFIX + self.private + _PKCS8_MIDDLE + self.public)

    def public_pem(self) -> bytes:
        return public_pem(self.public)

    def sign(self, message: bytes, *, distid: bytes = DISTID) -> bytes:
        """DER SM2/SM3 signature of `message` (random k from `secrets`)."""
        import gmalg

        r, s = gmalg.SM2(sk=self.private, uid=distid, pk=self.public).sign(message)
        return _signature_der(int.from_bytes(r, "big"), int.from_bytes(s, "big"))


def load_or_create_key(path: Path) -> Sm2Key:
    """The SM2 key in `path` (PKCS#8 PEM), created once with mode 0600 on first use; a racing process's key wins
    (ADR 0030)."""
    return Sm2Key.from_pem(read_or_create(path, lambda: Sm2Key.generate().pkcs8_pem()))
