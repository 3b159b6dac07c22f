"""PDF signatures (pyHanko) with one seal key per agency — a stand-in for a real 电子印章 (ADR 0013).

Each agency's key is an ECDSA P-256 key with a self-signed X.509 certificate naming the agency (O, CN) and its
USCC (organizationIdentifier). Both are kept in one PEM file, `<ZHIFA_SEAL_DIR>/agency-<public_id>.pem`, mode
0600, created on first use atomically: the file is written and fsynced under a temporary name and then linked to
its final name, which fails if another process got there first (that process's key is then used). A deployment
with a certified seal (GB/T 38540 / a CA-issued certificate) replaces `seal_for` only.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from zhifa.common.keyfiles import create_once
from zhifa.records import sm

SEAL_FIELD = "ZhifaSeal"
CERT_YEARS = 10


def seal_dir() -> Path:
    return Path(settings.ZHIFA_SEAL_DIR)


@dataclass(frozen=True)
class Seal:
    path: Path
    key_pem: bytes
    cert_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)


def _new_seal_pem(name: str, uscc: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)]
    if uscc:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, uscc))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, f"{name}电子印章"))
    subject = x509.Name(attrs)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * CERT_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)


def _split(pem: bytes) -> tuple[bytes, bytes]:
    marker = b"-----BEGIN CERTIFICATE-----"
    index = pem.index(marker)
    return pem[:index], pem[index:]


def seal_for(agency: Any) -> Seal:
    """The agency's seal key and certificate, created on first use (0600, atomic)."""
    folder = seal_dir()
    path = folder / f"agency-{agency.public_id}.pem"
    create_once(path, lambda: _new_seal_pem(agency.name, getattr(agency, "uscc", "") or ""))
    key_pem, cert_pem = _split(path.read_bytes())
    return Seal(path, key_pem, cert_pem)


def sm2_seal_for(agency: Any) -> sm.Sm2Key:
    """The agency's SM2 seal key (SM mode, ADR 0020): `<ZHIFA_SEAL_DIR>/agency-<public_id>-sm2.pem`, PKCS#8,
    0600, created on first use. pyHanko cannot make SM2 PDF signatures (GB/T 38540 seals need a certified seal
    system), so in SM mode the sealed PDF also gets a detached SM2 signature over its bytes."""
    return sm.load_or_create_key(seal_dir() / f"agency-{agency.public_id}-sm2.pem")


def sm2_sign_pdf(pdf: bytes, *, agency: Any) -> str:
    """A detached SM2/SM3 signature (DER, base64) over the final PDF bytes by the agency's SM2 seal key."""
    return base64.b64encode(sm2_seal_for(agency).sign(pdf)).decode()


def sm2_verify_pdf(pdf: bytes, signature_b64: str, *, agency: Any) -> bool:
    """True if `signature_b64` is the agency's SM2 seal signature over exactly these PDF bytes."""
    try:
        der = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return False
    return bool(signature_b64) and sm.verify(sm2_seal_for(agency).public, pdf, der)


_T = TypeVar("_T")


def _without_running_loop(fn: Callable[[], _T]) -> _T:
    """Run pyHanko's sync API, which calls asyncio.run(), also from a thread that already runs an event loop (an
    async caller, or Playwright's sync API in the browser tests): then in a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


def sign_pdf(pdf: bytes, *, agency: Any, reason: str, location: str = "") -> bytes:
    """Sign `pdf` with the agency's seal (an invisible signature field, PAdES-style CMS, SHA-256)."""
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    seal = seal_for(agency)
    cert = next(iter(load_certs_from_pemder_data(seal.cert_pem)))
    key = load_private_key_from_pemder_data(seal.key_pem, passphrase=None)
    signer = signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([cert]),
    )
    meta = signers.PdfSignatureMetadata(field_name=SEAL_FIELD, reason=reason, location=location or None,
                                        name=agency.name)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = _without_running_loop(lambda: signers.sign_pdf(writer, meta, signer=signer))
    return out.getvalue()


def verify_pdf_signature(pdf_bytes: bytes) -> tuple[bool, str]:
    """(intact, signer subject) of the document's first signature. `intact` means: the signed bytes hash to the
    signed digest, the CMS signature verifies under the embedded certificate, and the signature covers the whole
    file (nothing appended after signing). Trust in the self-signed seal certificate is not judged here; compare
    the subject (or the certificate in ZHIFA_SEAL_DIR) for that. An unreadable or unsigned PDF is (False, "")."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
        if not signatures:
            return False, ""
        sig = signatures[0]
        subject = sig.signer_cert.subject.human_friendly
        context = ValidationContext(trust_roots=[sig.signer_cert], allow_fetching=False)
        status = _without_running_loop(lambda: validate_pdf_signature(sig, context))
    except Exception:  # noqa: BLE001 - a damaged file raises pyHanko's parse errors (PdfReadError, …) or worse
        return False, ""
    intact = bool(status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    return intact, subject
