"""A review round links its 法制审核意见书 by a foreign key (ADR 0024).

Backfill: the document named in the ledger entry of the pass/return action that decided the round (payload
review.round, documents of type legal_review_opinion); failing that, the n-th opinion document of the case for the
n-th decided round — what `review/api.py` used to work out on every read. Only this migration reads the payloads."""

import json

import django.db.models.deletion
from django.db import migrations, models

from zhifa.common.migration_support import constraints_immediate

OPINION_DOC = "legal_review_opinion"
DECISION_ACTIONS = ("case.pass_legal_review", "case.return_legal_review")
DECIDED = ("passed", "returned")


def backfill(apps, schema_editor):
    constraints_immediate(schema_editor)
    ReviewRound = apps.get_model("review", "ReviewRound")
    Document = apps.get_model("documents", "Document")
    LedgerEntry = apps.get_model("records", "LedgerEntry")
    by_case: dict[int, list] = {}
    for rnd in ReviewRound.objects.filter(state__in=DECIDED).select_related("case").order_by("case_id", "number"):
        by_case.setdefault(rnd.case_id, []).append(rnd)
    for rounds in by_case.values():
        case = rounds[0].case
        docs = list(Document.objects.filter(subject_id=case.public_id, doc_type=OPINION_DOC).order_by("issued_at", "pk"))
        named: dict[int, str] = {}
        for raw in LedgerEntry.objects.filter(stream=f"case/{case.public_id}", kind__in=DECISION_ACTIONS).order_by(
                "seq").values_list("canonical", flat=True):
            payload = json.loads(bytes(raw)).get("payload") or {}
            number = (payload.get("review") or {}).get("round")
            for d in payload.get("documents") or []:
                if d.get("type") == OPINION_DOC and number is not None:
                    named[number] = d.get("id")
        for index, rnd in enumerate(rounds):
            doc = next((d for d in docs if str(d.public_id) == named.get(rnd.number)), None)
            if doc is None and index < len(docs):
                doc = docs[index]
            if doc is not None:
                rnd.opinion_document = doc
                rnd.save(update_fields=["opinion_document"])


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0002_sm3_and_sm2_seal"),
        ("records", "0006_personal_vault"),
        ("review", "0003_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewround",
            name="opinion_document",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="documents.document", verbose_name="法制审核意见书"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
