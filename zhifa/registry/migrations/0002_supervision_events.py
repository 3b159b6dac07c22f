"""The supervision events table (ADR 0029), backfilled from the ledger: one row per "registry.supervision_changed"
entry of a "supervision:<bureau>" stream. This one-time backfill reads the entries' payloads (written before
versioning, without "v"); from now on the service writes the row with the entry."""

import json

import django.db.models.deletion
from django.db import migrations, models

from zhifa.common.migration_support import constraints_immediate


def _backfill(apps, schema_editor):
    constraints_immediate(schema_editor)
    LedgerEntry = apps.get_model("records", "LedgerEntry")
    SupervisionEvent = apps.get_model("registry", "SupervisionEvent")
    done = set(SupervisionEvent.objects.values_list("ledger_entry_id", flat=True))
    rows = LedgerEntry.objects.filter(kind="registry.supervision_changed", stream__startswith="supervision:")
    for row in rows.order_by("seq").iterator(chunk_size=500):
        if row.seq in done or row.agency_id is None:
            continue
        content = json.loads(bytes(row.canonical))
        payload = content.get("payload") or {}
        actor = content.get("actor") or {}
        agency = payload.get("agency") or {}
        old = payload.get("old_supervisor") or {}
        new = payload.get("new_supervisor") or {}
        SupervisionEvent.objects.create(
            bureau_id=row.agency_id, ledger_entry_id=row.seq, agency_public_id=agency.get("public_id"),
            agency_name=str(agency.get("name") or "")[:200], old_supervisor_public_id=old.get("public_id"),
            old_supervisor_name=str(old.get("name") or "")[:200], new_supervisor_public_id=new.get("public_id"),
            new_supervisor_name=str(new.get("name") or "")[:200],
            old_is_justice_bureau=bool(payload.get("old_is_justice_bureau")),
            new_is_justice_bureau=bool(payload.get("new_is_justice_bureau")), reason=str(payload.get("reason") or ""),
            actor_name=str(actor.get("name") or "")[:150], at=row.recorded_at,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0006_personal_vault'),
        ('registry', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='SupervisionEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('bureau_id', models.BigIntegerField(db_index=True, verbose_name='监督机关')),
                ('agency_public_id', models.UUIDField(verbose_name='执法主体')),
                ('agency_name', models.CharField(max_length=200, verbose_name='执法主体名称')),
                ('old_supervisor_public_id', models.UUIDField(blank=True, null=True)),
                ('old_supervisor_name', models.CharField(blank=True, max_length=200, verbose_name='原监督机关')),
                ('new_supervisor_public_id', models.UUIDField(blank=True, null=True)),
                ('new_supervisor_name', models.CharField(blank=True, max_length=200, verbose_name='新监督机关')),
                ('old_is_justice_bureau', models.BooleanField(default=False)),
                ('new_is_justice_bureau', models.BooleanField(default=False)),
                ('reason', models.TextField(blank=True, verbose_name='变更理由')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='操作人')),
                ('at', models.DateTimeField(verbose_name='时间')),
                ('ledger_entry', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='supervision_event', to='records.ledgerentry', verbose_name='账本记录')),
            ],
            options={
                'verbose_name': '监督关系变更',
                'verbose_name_plural': '监督关系变更',
                'ordering': ['-ledger_entry_id'],
            },
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
    ]
