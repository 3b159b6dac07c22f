"""Personal data of parties: not in the ledger (PV-3), encrypted at rest with per-record keys, found by blind index,
rotated and erased (PV-5). Issue 9 defect 8 (个人信息保护法); ADR 0018."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection

from zhifa.cases.models import Case, Party, PartyKind
from zhifa.cases.personal import party_ledger_view
from zhifa.cases.services import case_create
from zhifa.cases.testing import make_case_world, org_party, penalty_case_data, person_party
from zhifa.documents.models import Document
from zhifa.records import personal
from zhifa.records.models import LedgerEntry, PersonalRecord

# Not inside a longer run of letters and digits (hex hashes and base64 signatures are full of digit runs).
ID_RE = re.compile(r"(?<![0-9A-Za-z+/])\d{17}[\dXx](?![0-9A-Za-z+/])")
MOBILE_RE = re.compile(r"(?<![0-9A-Za-z+/])1[3-9]\d{9}(?![0-9A-Za-z+/])")


def _needles(parties: list[Party]) -> set[str]:
    out: set[str] = set()
    for p in parties:
        out |= {v for v in (p.id_number, p.phone, p.address) if v}
        if p.kind == PartyKind.PERSON:
            out.add(p.name)
        if p.legal_representative:
            out.add(p.legal_representative)
    return out


@pytest.mark.django_db
def test_pv3_demo_flow_leaves_no_party_personal_data_in_the_ledger():
    """PV-3: after a demo-like flow (the demo county's ten cases, every stage), no ledger payload and no stored
    document snapshot holds a party's ID number, phone, address or a person's full name; the ledger holds the
    masked name and commitments, and the commitments are those recomputed from the row and the vault."""
    from zhifa.cases.demo import load_demo_cases
    from zhifa.registry.demo import load_demo

    load_demo()
    assert load_demo_cases() == 10
    parties = list(Party.objects.select_related("personal", "case"))
    assert parties and all(p.personal_id for p in parties)
    needles = _needles(parties)
    assert any(ID_RE.fullmatch(n) for n in needles)
    leaks = []
    for seq, raw in LedgerEntry.objects.values_list("seq", "canonical"):
        text = bytes(raw).decode()
        leaks += [(seq, n) for n in needles if n in text]
        leaks += [(seq, m) for m in ID_RE.findall(text) + MOBILE_RE.findall(text)]
    assert leaks == []
    for context in Document.objects.values_list("context", flat=True):
        text = json.dumps(context, ensure_ascii=False)
        assert not [n for n in needles if n in text and len(n) > 3], text[:200]
        assert not ID_RE.findall(text)
    # What the register entry holds about each party is its ledger view, recomputable from the row and vault.
    for party in parties:
        entries = [json.loads(bytes(c)) for c in LedgerEntry.objects.filter(
            stream=party.case.stream, kind="case.register").values_list("canonical", flat=True)]
        held = [p for e in entries for p in e["payload"].get("parties", []) if p["id"] == str(party.public_id)]
        assert held == [party_ledger_view(party)]
        if party.kind == PartyKind.PERSON:
            assert held[0]["name"] == party.name[0] + "某"


@pytest.mark.django_db
def test_pv5_raw_table_holds_only_ciphertext_and_blind_index_finds_the_party(agency_a):
    """PV-5: the raw rows (read with SQL, not the ORM) hold no ID number, phone or address — only the vault's
    ciphertext and HMAC blind indexes; a lookup by ID number (full-width or lower-case x) still finds the party."""
    world = make_case_world(agency_a)
    person = person_party(name="欧阳娜娜", phone="13912345678", address="临湘市长安街道滨江路99号")
    org = org_party(phone="0730-3721188", address="临湘市江南镇河口村18号")
    case = case_create(actor=world["officer"], kind="penalty", data=penalty_case_data(parties=[person, org]))
    with connection.cursor() as cur:
        tables = connection.introspection.table_names(cur)
        dump = []
        for table in tables:
            cur.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - introspected names
            dump += [repr(row) for row in cur.fetchall()]
    raw = "\n".join(dump)
    for value in (person["id_number"], "13912345678", "滨江路99号", "0730-3721188", "河口村18号"):
        assert value not in raw, value
    row = PersonalRecord.objects.get(pk=case.parties.get(kind="person").personal_id)
    assert row.algorithm == personal.AES and len(bytes(row.wrapped_key)) == 12 + 32 + 16
    found = personal.records_matching(id_number=person["id_number"].translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}).lower())
    assert list(found) == [row]
    assert list(personal.records_matching(phone="139 1234 5678")) == [row]
    party = Party.objects.get(personal=row)
    assert (party.id_number, party.phone, party.address) == (person["id_number"], "13912345678", "临湘市长安街道滨江路99号")
    view = party_ledger_view(party)
    assert view["name"] == "欧阳某" and len(view["commitments"]) == len(personal.COMMITTED_FIELDS)


@pytest.mark.django_db
def test_pv5_rotation_reencrypts_every_row_and_keeps_commitments(agency_a):
    """PV-5: `zhifa personal rotate` re-wraps and re-encrypts every live row under a new master key (new key id,
    new ciphertext, new blind indexes); values, lookups and the ledger's commitments still hold."""
    world = make_case_world(agency_a)
    cases = [case_create(actor=world["officer"], kind="penalty", data=penalty_case_data()) for _ in range(3)]
    parties = list(Party.objects.filter(case__in=cases).select_related("personal"))
    before = {p.pk: (bytes(p.personal.ciphertext), bytes(p.personal.wrapped_key), p.personal.key_id,
                     p.personal.id_index, party_ledger_view(p), p.id_number) for p in parties}
    old_key = personal.key_file().read_text()
    call_command("personal", "rotate")
    assert personal.key_file().read_text() != old_key
    assert oct(personal.key_file().stat().st_mode & 0o777) == "0o600"
    assert not personal.key_file().with_name(personal.key_file().name + ".new").exists()
    for p in Party.objects.filter(case__in=cases).select_related("personal"):
        ct, wrapped, kid, index, view, id_number = before[p.pk]
        assert bytes(p.personal.ciphertext) != ct and bytes(p.personal.wrapped_key) != wrapped
        assert p.personal.key_id != kid and p.personal.id_index != index
        assert p.id_number == id_number and party_ledger_view(p) == view
        assert list(personal.records_matching(id_number=id_number)) == [p.personal]
    assert personal.personal_status()["stale"] == 0
    out = io.StringIO()
    call_command("personal", "status", stdout=out)
    status = json.loads(out.getvalue())
    assert status["live"] >= 3 and status["stale"] == 0 and status["key_file_mode"] == "0o600"


@pytest.mark.django_db
def test_pv5_erasing_a_case_makes_its_values_unreadable_and_the_ledger_still_verifies(agency_a):
    """PV-5 / issue 9 defect 8: `zhifa personal erase <case>` destroys each party's data key and ciphertext (end of
    retention): the values are gone, the blind index finds nothing, the ledger view has no commitments, a
    `personal.erased` entry is appended, and the whole ledger still verifies."""
    from zhifa.records.verify_db import verify_ledger

    world = make_case_world(agency_a)
    same = person_party()
    case = case_create(actor=world["officer"], kind="penalty", data=penalty_case_data(parties=[same]))
    other = case_create(actor=world["officer"], kind="penalty", data=penalty_case_data(parties=[same]))
    party = case.parties.select_related("personal").get()
    id_number = party.id_number
    wrapped = bytes(party.personal.wrapped_key)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="尚未归档"):  # only at the end of retention, unless forced
        call_command("personal", "erase", str(case.public_id))
    call_command("personal", "erase", str(case.public_id), "--reason", "保存期限届满", "--force")
    party = Party.objects.select_related("personal").get(pk=party.pk)
    assert party.personal.wrapped_key is None and bytes(party.personal.ciphertext) == b""
    assert (party.id_number, party.phone, party.address) == ("", "", "")
    assert party.name == "张某"  # the row's clear name is masked too
    with pytest.raises(personal.PersonalDataErased):
        personal.personal_values(party.personal)
    assert wrapped not in b"".join(bytes(r.wrapped_key or b"") for r in PersonalRecord.objects.all())
    assert party_ledger_view(party)["commitments"] is None
    assert not personal.records_matching(id_number=id_number).filter(pk=party.personal_id).exists()
    assert other.parties.get().id_number == id_number  # the other case's copy is untouched
    assert LedgerEntry.objects.filter(stream=case.stream, kind="personal.erased").count() == 1
    assert verify_ledger().ok
    assert Case.objects.filter(pk=case.pk).exists()



@pytest.mark.django_db
def test_archive_package_carries_personal_data_only_for_archivist_or_agency_head(agency_a, settings, tmp_path):
    """REC-13, issue 9 defect 8 (archive packages: records holding privacy get restricted access): the package carries
    the parties' personal data (data/personal.json, with the salts that open the ledger's commitments) only for
    an archivist or the agency head, and its bag-info.txt says which; for an officer (or nobody in particular)
    no ID number or phone is anywhere in the package's entries, index or manifest. Both kinds pass the offline
    verifier."""
    from zhifa.accounts.roles import Role
    from zhifa.records.archive import archive_export
    from zhifa.records.checkpoints import public_key
    from zhifa.records.verify import verify_package

    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    world = make_case_world(agency_a)
    person = person_party(phone="13912345678")
    case = case_create(actor=world["officer"], kind="penalty", data=penalty_case_data(parties=[person]))
    party = case.parties.get()
    for user, included in ((None, False), (agency_a[Role.OFFICER], False), (agency_a[Role.ARCHIVIST], True),
                           (agency_a[Role.AGENCY_HEAD], True)):
        out = tmp_path / f"pkg-{user.username if user else 'none'}"
        result = archive_export(stream=case.stream, output=out, recipient=user)
        assert result.personal_data is included
        info = (out / "bag-info.txt").read_text()
        assert f"Zhifa-Personal-Data: {'included' if included else 'withheld'}" in info
        text = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and "blobs" not in p.parts)
        assert (person["id_number"] in text) is included and ("13912345678" in text) is included
        assert (out / "data" / "personal.json").exists() is included
        if included:
            rows = json.loads((out / "data" / "personal.json").read_text())["personal_records"]
            assert [r["values"]["id_number"] for r in rows] == [person["id_number"]]
            assert rows[0]["personal_record"] == str(party.personal.public_id)
        report = verify_package(out, key=public_key())
        assert report.ok, report.failures


@pytest.mark.django_db
def test_pv5_sm_mode_encrypts_with_sm4_gcm_and_commits_with_hmac_sm3(agency_a, settings):
    """PV-5 in SM mode (ADR 0020): new vault records are SM4-GCM (16-byte data key) with HMAC-SM3 commitments;
    records of both algorithms read, rotate and look up side by side."""
    world = make_case_world(agency_a)
    aes_case = case_create(actor=world["officer"], kind="penalty", data=penalty_case_data())
    settings.ZHIFA_SM_MODE = True
    sm_case = case_create(actor=world["officer"], kind="penalty", data=penalty_case_data())
    aes_party, sm_party = (c.parties.select_related("personal").get() for c in (aes_case, sm_case))
    assert aes_party.personal.algorithm == personal.AES and sm_party.personal.algorithm == personal.SM4
    assert len(bytes(sm_party.personal.wrapped_key)) == 12 + 16 + 16
    view = party_ledger_view(sm_party)
    assert view["commitment"] == "hmac-sm3" and len(view["commitments"]["id_number"]) == 64
    personal.personal_rotate()
    for party in Party.objects.filter(pk__in=[aes_party.pk, sm_party.pk]).select_related("personal"):
        assert list(personal.records_matching(id_number=party.id_number)) == [party.personal]
    assert party_ledger_view(Party.objects.get(pk=sm_party.pk)) == view
