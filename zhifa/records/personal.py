"""The personal-data vault (issue 9 defect 8, 个人信息保护法; PV-3, PV-4, PV-5; docs/decisions/0018-personal-data-vault.md).

Personal data of a data subject (a case party: ID number, phone, address) lives here, encrypted, and nowhere else
in the database; the ledger holds only salted commitments of it and masked names.

- **Master key**: 32 random bytes (hex) in ZHIFA_PII_KEY_FILE, outside the database; created 0600 on first use in
  development, required in production. Its id is the first 16 hex digits of SHA-256(key). During a rotation the
  new key sits in `<file>.new`, so both are on the key ring until the rotation has committed and renamed it.
- **A record**: the values and a 32-byte commitment salt, as JSON, encrypted with AES-256-GCM (SM4-GCM in SM mode)
  under a random data key of the record; the data key is wrapped (the same AEAD) with the master key; the record's
  public id is the associated data of both. Erasure destroys the wrapped key and the ciphertext.
- **Blind indexes**: HMAC-SHA256 of the normalized ID number / phone under a key derived from the master key, so
  `records_matching` finds a person's records without decrypting anything; recomputed on rotation, cleared on
  erasure.
- **Commitments**: HMAC-SHA256 (HMAC-SM3 for SM4 records) of `field ‖ 0x00 ‖ normalized value` keyed with the
  record's salt. Without the salt (inside the ciphertext) a commitment cannot be tested against guessed ID numbers;
  after erasure it is unlinkable, while the ledger entry holding it still verifies.

The small API another app needs: `personal_record_create`, `personal_values`, `personal_commitments`,
`records_matching`, `personal_erase`, `personal_rotate`, `personal_status`, `mask_name`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from zhifa.records.models import PersonalRecord

AES = "aes-256-gcm"
SM4 = "sm4-gcm"
#: Fields the vault encrypts (the party row keeps none of them).
VAULT_FIELDS = ("id_number", "phone", "address")
#: Fields committed in the ledger: the vault's, plus names the party row keeps in clear for lists and search.
COMMITTED_FIELDS = ("name", "legal_representative", *VAULT_FIELDS)
_NONCE = 12
_TAG = 16
_INDEX_LABEL = b"zhifa personal blind index v1"


class PersonalDataError(Exception):
    """The vault cannot do what was asked (no key, wrong key, damaged record)."""


class PersonalDataErased(PersonalDataError):
    """The record was erased (end of retention): its values are gone."""


# ------------------------------------------------------------------------------------------------ normalization


def normalize(field: str, value: str | None) -> str:
    """The form a value is committed and indexed in: NFKC (full-width digits and letters become ASCII), no spaces;
    ID numbers upper-case (the check character X); phones digits only (a leading +86 kept as 86)."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if field == "id_number":
        return "".join(text.split()).upper()
    if field == "phone":
        return "".join(ch for ch in text if ch.isdigit())
    return " ".join(text.split())


def mask_name(name: str) -> str:
    """A person's name as the ledger shows it: the surname and 某 (张三 → 张某; 欧阳娜娜 → 欧阳某 for the common
    two-character surnames). Empty stays empty."""
    name = (name or "").strip()
    if not name:
        return ""
    surname = name[:2] if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return surname + "某"


_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 南宫 西门 独孤 呼延 闻人 赫连".split())


# ----------------------------------------------------------------------------------------------------- the keys


@dataclass(frozen=True)
class MasterKey:
    key: bytes  # 32 bytes

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.key).hexdigest()[:16]

    def index_key(self) -> bytes:
        return hmac.new(self.key, _INDEX_LABEL, hashlib.sha256).digest()


def key_file() -> Path:
    return Path(settings.ZHIFA_PII_KEY_FILE)


def _read_key(path: Path) -> MasterKey:
    try:
        raw = bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise PersonalDataError(f"个人信息主密钥文件 {path} 格式错误（应为 64 位十六进制）。") from exc
    if len(raw) != 32:
        raise PersonalDataError(f"个人信息主密钥文件 {path} 格式错误（应为 32 字节）。")
    return MasterKey(raw)


def _write_key(path: Path, key: MasterKey) -> None:
    """Write a key file 0600 atomically (never over an existing file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".pii-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(key.key.hex() + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    finally:
        os.unlink(tmp)


def current_key() -> MasterKey:
    """The master key, created (0600) on first use unless ZHIFA_PII_KEY_REQUIRED (production) forbids it."""
    path = key_file()
    if not path.exists():
        if settings.ZHIFA_PII_KEY_REQUIRED:
            raise ImproperlyConfigured(f"个人信息主密钥文件 {path} 不存在：生产部署须事先生成并配置 ZHIFA_PII_KEY_FILE。")
        try:
            _write_key(path, MasterKey(secrets.token_bytes(32)))
        except FileExistsError:
            pass  # another process made it first: use theirs
    return _read_key(path)


def key_ring() -> dict[str, MasterKey]:
    """key id → key: the current key and, while a rotation is under way or was cut short, the new one."""
    ring = {}
    current = current_key()
    ring[current.key_id] = current
    pending = key_file().with_name(key_file().name + ".new")
    if pending.exists():
        new = _read_key(pending)
        ring[new.key_id] = new
    return ring


# ----------------------------------------------------------------------------------------------------- the AEADs


def _seal(algorithm: str, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    if algorithm == AES:
        return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)
    if algorithm == SM4:
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(plaintext) + enc.finalize()
        return nonce + body + enc.tag
    raise PersonalDataError(f"unknown algorithm {algorithm}")


def _open(algorithm: str, key: bytes, sealed: bytes, aad: bytes) -> bytes:
    nonce, body = sealed[:_NONCE], sealed[_NONCE:]
    try:
        if algorithm == AES:
            return AESGCM(key).decrypt(nonce, body, aad)
        if algorithm == SM4:
            dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, body[-_TAG:])).decryptor()
            dec.authenticate_additional_data(aad)
            return dec.update(body[:-_TAG]) + dec.finalize()
    except (InvalidTag, ValueError) as exc:
        raise PersonalDataError("个人信息密文无法解密（密钥不符或密文被改动）。") from exc
    raise PersonalDataError(f"unknown algorithm {algorithm}")


def _key_size(algorithm: str) -> int:
    return 16 if algorithm == SM4 else 32


def _wrapping_key(master: MasterKey, algorithm: str) -> bytes:
    """The key that wraps data keys: the master key itself (AES-256), or 16 bytes derived from it (SM4)."""
    if algorithm == SM4:
        return hmac.new(master.key, b"zhifa personal sm4 wrap v1", hashlib.sha256).digest()[:16]
    return master.key


def _algorithm() -> str:
    from zhifa.records import sm

    return SM4 if sm.sm_mode() else AES


def _aad(record: PersonalRecord) -> bytes:
    return f"zhifa-personal/{record.public_id}/{record.algorithm}".encode()


def _blind_index(master: MasterKey, field: str, value: str) -> str:
    norm = normalize(field, value)
    if not norm:
        return ""
    return hmac.new(master.index_key(), f"{field}\x00{norm}".encode(), hashlib.sha256).hexdigest()


def _encrypt_into(record: PersonalRecord, master: MasterKey, content: Mapping[str, Any]) -> None:
    data_key = secrets.token_bytes(_key_size(record.algorithm))
    plaintext = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    record.ciphertext = _seal(record.algorithm, data_key, plaintext, _aad(record))
    record.wrapped_key = _seal(record.algorithm, _wrapping_key(master, record.algorithm), data_key, _aad(record))
    record.key_id = master.key_id
    values = content.get("values") or {}
    record.id_index = _blind_index(master, "id_number", values.get("id_number", ""))
    record.phone_index = _blind_index(master, "phone", values.get("phone", ""))


def _decrypt(record: PersonalRecord, ring: Mapping[str, MasterKey] | None = None) -> dict[str, Any]:
    if record.wrapped_key is None:
        raise PersonalDataErased("该个人信息已按保存期限删除。")
    ring = ring if ring is not None else key_ring()
    master = ring.get(record.key_id)
    if master is None:
        raise PersonalDataError(f"个人信息记录 {record.public_id} 由主密钥 {record.key_id} 加密，当前密钥文件中没有该密钥。")
    data_key = _open(record.algorithm, _wrapping_key(master, record.algorithm), bytes(record.wrapped_key),
                     _aad(record))
    content: dict[str, Any] = json.loads(_open(record.algorithm, data_key, bytes(record.ciphertext), _aad(record)))
    return content


# ------------------------------------------------------------------------------------------------------ the API


def personal_record_create(*, values: Mapping[str, str], stream: str, agency_id: int | None) -> PersonalRecord:
    """Store one data subject's values (any of VAULT_FIELDS; others are refused) encrypted; returns the saved row.
    Runs in the caller's transaction."""
    unknown = set(values) - set(VAULT_FIELDS)
    if unknown:
        raise PersonalDataError(f"unknown personal fields: {sorted(unknown)}")
    record = PersonalRecord(stream=stream, agency_id=agency_id, algorithm=_algorithm())
    content = {"values": {k: values.get(k) or "" for k in VAULT_FIELDS}, "salt": secrets.token_bytes(32).hex()}
    _encrypt_into(record, current_key(), content)
    record.save()
    return record


def personal_values(record: PersonalRecord) -> dict[str, str]:
    """The record's decrypted values (every VAULT_FIELDS key). Raises PersonalDataErased after erasure."""
    values = _decrypt(record).get("values") or {}
    return {k: str(values.get(k) or "") for k in VAULT_FIELDS}


def commitment_algorithm(record: PersonalRecord) -> str:
    return "hmac-sm3" if record.algorithm == SM4 else "hmac-sha256"


def _hmac(algorithm: str, key: bytes, message: bytes) -> str:
    if algorithm == "hmac-sm3":
        try:
            return hmac.new(key, message, "sm3").hexdigest()
        except ValueError:  # a Python without OpenSSL's SM3
            from zhifa.records import sm

            block = 64
            k = key if len(key) <= block else bytes.fromhex(sm.sm3_hex(key))
            k = k.ljust(block, b"\x00")
            inner = sm.sm3_hex(bytes(b ^ 0x36 for b in k) + message)
            return sm.sm3_hex(bytes(b ^ 0x5C for b in k) + bytes.fromhex(inner))
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def personal_commitments(record: PersonalRecord, values: Mapping[str, str | None] | None = None
                         ) -> dict[str, str] | None:
    """Salted commitments, field → hex, of every COMMITTED_FIELDS value: `values` where given, else the record's
    own decrypted value (so a caller passes the names its own row keeps, e.g. {"name": party.name, ...}); a
    missing value commits to "". None if the record was erased (the salt is gone, nothing can be recomputed).
    What the ledger holds for a party is `zhifa.cases.personal.party_ledger_view`, built from this."""
    try:
        content = _decrypt(record)
    except PersonalDataErased:
        return None
    salt = bytes.fromhex(content["salt"])
    stored = content.get("values") or {}
    given = dict(values or {})
    alg = commitment_algorithm(record)
    out = {}
    for field in COMMITTED_FIELDS:
        value = given[field] if field in given else stored.get(field, "")
        out[field] = _hmac(alg, salt, f"{field}\x00{normalize(field, value)}".encode())
    return out


def records_matching(*, id_number: str = "", phone: str = "") -> Any:
    """The (not erased) records whose ID number or phone equals the given one after normalization, by blind index
    (under every key on the ring, so a lookup works during a rotation). A QuerySet of PersonalRecord."""
    from django.db.models import Q

    query = Q(pk__in=[])
    for master in key_ring().values():
        if id_number:
            query |= Q(id_index=_blind_index(master, "id_number", id_number))
        if phone:
            query |= Q(phone_index=_blind_index(master, "phone", phone))
    return PersonalRecord.objects.filter(query, wrapped_key__isnull=False)


def personal_erase(*, records: Iterable[PersonalRecord], reason: str, actor: Any = None) -> int:
    """Erase records at the end of retention: destroy the wrapped data key, the ciphertext and the blind indexes,
    and append one `personal.erased` ledger entry per record (its id and the reason, nothing personal). Returns how
    many were erased (already erased ones are skipped). With SQLite `secure_delete=ON` the old bytes are zeroed."""
    from zhifa.records import ledger

    count = 0
    now = timezone.now()
    with transaction.atomic():
        for record in records:
            record = PersonalRecord.objects.select_for_update().get(pk=record.pk)
            if record.wrapped_key is None:
                continue
            record.wrapped_key = None
            record.ciphertext = b""
            record.id_index = record.phone_index = ""
            record.erased_at = now
            record.erased_reason = reason[:200]
            record.save()
            ledger.ledger_append(kind="personal.erased", stream=record.stream, agency_id=record.agency_id,
                                 actor=actor, payload={"personal_record": str(record.public_id), "reason": reason})
            count += 1
    return count


def personal_rotate() -> dict[str, Any]:
    """Re-encrypt every live record under a new master key: a new data key per record, new blind indexes, the
    same values and salt (so the ledger's commitments still hold). The new key is written to `<file>.new` first,
    the rows change in one transaction, then the new key replaces the old file. A run cut short is finished by
    running it again (both keys are on the ring meanwhile). Returns counts and the key ids."""
    path = key_file()
    pending = path.with_name(path.name + ".new")
    old = current_key()
    if pending.exists():  # a rotation cut short: its key is already (partly or wholly) in use; finish with it
        new = _read_key(pending)
    else:
        new = MasterKey(secrets.token_bytes(32))
        _write_key(pending, new)
    ring = {old.key_id: old, new.key_id: new}
    rotated = 0
    with transaction.atomic():
        for record in PersonalRecord.objects.select_for_update().filter(wrapped_key__isnull=False).order_by("pk"):
            content = _decrypt(record, ring)
            _encrypt_into(record, new, content)
            record.rotated_at = timezone.now()
            record.save(update_fields=["ciphertext", "wrapped_key", "key_id", "id_index", "phone_index",
                                       "rotated_at"])
            rotated += 1
    os.replace(pending, path)
    return {"rotated": rotated, "old_key_id": old.key_id, "new_key_id": new.key_id}


def personal_status() -> dict[str, Any]:
    """Counts by state, algorithm and master key, and the key file (for `zhifa personal status`)."""
    from django.db.models import Count

    path = key_file()
    live = PersonalRecord.objects.filter(wrapped_key__isnull=False)
    current = current_key().key_id if path.exists() or not settings.ZHIFA_PII_KEY_REQUIRED else ""
    by_key = dict(live.values_list("key_id").annotate(n=Count("pk")).values_list("key_id", "n"))
    mode = oct(path.stat().st_mode & 0o777) if path.exists() else ""
    return {
        "key_file": str(path), "key_file_mode": mode, "current_key_id": current,
        "rotation_pending": path.with_name(path.name + ".new").exists(),
        "records": PersonalRecord.objects.count(), "live": live.count(),
        "erased": PersonalRecord.objects.filter(wrapped_key__isnull=True).count(),
        "by_algorithm": dict(live.values_list("algorithm").annotate(n=Count("pk")).values_list("algorithm", "n")),
        "by_key": by_key, "stale": sum(n for k, n in by_key.items() if k != current),
    }
