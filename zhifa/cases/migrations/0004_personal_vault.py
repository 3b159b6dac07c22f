"""Parties' ID numbers, phones and addresses move into the encrypted personal-data vault (issue 9 defect 8,
ADR 0018): a vault record per party, then the clear columns go. With SQLite `secure_delete=ON` (settings) the
rebuilt table's old pages are zeroed. Ledger entries written before this migration keep what they hold (the
ledger is append-only); new entries carry commitments only."""

import django.db.models.deletion
from django.db import migrations, models

from zhifa.common.migration_support import constraints_immediate


def _to_vault(apps, schema_editor):
    constraints_immediate(schema_editor)
    from zhifa.records import personal

    Party = apps.get_model("cases", "Party")
    PersonalRecord = apps.get_model("records", "PersonalRecord")
    parties = Party.objects.filter(personal__isnull=True).select_related("case")
    if not parties.exists():
        return
    master = personal.current_key()
    algorithm = personal._algorithm()
    for party in parties.iterator():
        record = PersonalRecord(stream=f"case/{party.case.public_id}", agency_id=party.case.agency_id,
                                algorithm=algorithm)
        values = {"id_number": party.id_number or "", "phone": party.phone or "", "address": party.address or ""}
        personal._encrypt_into(record, master, {"values": values, "salt": personal.secrets.token_bytes(32).hex()})
        record.save()
        party.personal = record
        party.id_number = party.phone = party.address = ""
        party.save(update_fields=["personal", "id_number", "phone", "address"])


def _from_vault(apps, schema_editor):
    constraints_immediate(schema_editor)
    from zhifa.records import personal

    Party = apps.get_model("cases", "Party")
    for party in Party.objects.filter(personal__isnull=False).select_related("personal").iterator():
        try:
            values = personal._decrypt(party.personal).get("values") or {}
        except personal.PersonalDataErased:
            values = {}
        party.id_number, party.phone, party.address = (values.get(k, "") for k in personal.VAULT_FIELDS)
        party.save(update_fields=["id_number", "phone", "address"])


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_deadline_code_length'),
        ('records', '0006_personal_vault'),
    ]

    operations = [
        migrations.AddField(
            model_name='party',
            name='personal',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                       related_name='+', to='records.personalrecord', verbose_name='个人信息（加密）'),
        ),
        migrations.RunPython(_to_vault, _from_vault),
        migrations.RemoveConstraint(
            model_name='party',
            name='cases_party_identifier_matches_kind',
        ),
        migrations.RemoveField(
            model_name='party',
            name='address',
        ),
        migrations.RemoveField(
            model_name='party',
            name='id_number',
        ),
        migrations.RemoveField(
            model_name='party',
            name='phone',
        ),
        migrations.AddConstraint(
            model_name='party',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'organization'), ('uscc', ''),
                                                                 _connector='OR'),
                                              name='cases_party_person_has_no_uscc'),
        ),
    ]
