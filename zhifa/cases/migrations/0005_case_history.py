"""The case history table (ADR 0029), backfilled from the ledger: one row per `case.*` entry of a case's stream.

This one-time backfill is the only reading of entry payloads outside `records`; from now on the transition service
and the deadline tick write the row in the same transaction as the entry. Entries written before versioning carry
no "v"; their layout is the one read here."""

import json

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from zhifa.common.migration_support import constraints_immediate


def _backfill(apps, schema_editor):
    constraints_immediate(schema_editor)
    LedgerEntry = apps.get_model("records", "LedgerEntry")
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Document = apps.get_model("documents", "Document")
    User = apps.get_model("accounts", "User")
    cases = {f"case/{c.public_id}": c for c in Case.objects.only("id", "public_id", "agency_id")}
    users: dict[str, object] = {}
    extra_keys = ("new_case", "source_case", "published", "changed", "correction", "review_round")
    done = set(CaseEvent.objects.values_list("ledger_entry_id", flat=True))
    rows = LedgerEntry.objects.filter(kind__startswith="case.", stream__startswith="case/").order_by("seq")
    for row in rows.iterator(chunk_size=500):
        case = cases.get(row.stream)
        if case is None or row.seq in done or row.agency_id != case.agency_id:
            continue
        content = json.loads(bytes(row.canonical))
        payload = content.get("payload") or {}
        actor_info = content.get("actor") or {}
        actor_id = str(actor_info.get("id") or "")
        if actor_id and actor_id not in users:
            users[actor_id] = User.objects.filter(public_id=actor_id).first()
        action = row.kind.removeprefix("case.")
        missed = action == "deadline_missed"
        event = CaseEvent.objects.create(
            case_id=case.id, agency_id=case.agency_id, ledger_entry_id=row.seq, action=action,
            label=str(payload.get("label") or "")[:100],
            from_state="" if missed else str(payload.get("from") or ""),
            to_state="" if missed else str(payload.get("to") or ""),
            actor=users.get(actor_id), actor_name=str(actor_info.get("name") or actor_info.get("username") or "")[:150],
            at=row.recorded_at, extra={} if missed else {k: payload[k] for k in extra_keys if k in payload},
        )
        ids = [d.get("id") for d in payload.get("documents") or [] if isinstance(d, dict) and d.get("id")]
        if ids:
            event.documents.add(*Document.objects.filter(public_id__in=ids))


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_personal_vault'),
        ('documents', '0002_sm3_and_sm2_seal'),
        ('records', '0006_personal_vault'),
        ('registry', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('accounts', '0003_demo_flag_token_expiry'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(max_length=64, verbose_name='操作')),
                ('label', models.CharField(blank=True, max_length=100, verbose_name='事项')),
                ('from_state', models.CharField(blank=True, max_length=32, verbose_name='原状态')),
                ('to_state', models.CharField(blank=True, max_length=32, verbose_name='新状态')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='操作人姓名')),
                ('at', models.DateTimeField(verbose_name='时间')),
                ('extra', models.JSONField(blank=True, default=dict)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.agency')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='cases.case')),
                ('documents', models.ManyToManyField(blank=True, related_name='+', to='documents.document', verbose_name='出具文书')),
                ('ledger_entry', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='case_event', to='records.ledgerentry', verbose_name='账本记录')),
            ],
            options={
                'ordering': ['ledger_entry_id'],
                'indexes': [models.Index(fields=['case', 'ledger_entry'], name='cases_casee_case_id_3205c4_idx')],
            },
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
    ]
