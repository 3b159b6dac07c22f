"""The cases side of the review seam (ADR 0024).

- `CaseParticipant`: who took which case action (REG-19 reads it instead of ledger JSON). Backfilled from the case
  streams' `case.<action>` entries (the only place the payloads are read), the review's own steps included (REG-19
  leaves them out when it reads).
- One pause model: `Pause` takes the materials pauses of legal review (`kind="review_materials"`, `review_round`,
  the missing materials in `note`); the rows of `review.ReviewPause` are copied over.
- One review clock: the case's `Deadline(code="review")` row. A round whose due date had no such row gets one, so
  `review` can drop `ReviewRound.due` (review 0005) without losing a date.
"""

import json

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from zhifa.common.migration_support import constraints_immediate

CLOCK = "review"
NOT_ACTIONS = {"case.deadline_missed"}


def participants(apps, schema_editor):
    constraints_immediate(schema_editor)
    Case = apps.get_model("cases", "Case")
    CaseParticipant = apps.get_model("cases", "CaseParticipant")
    LedgerEntry = apps.get_model("records", "LedgerEntry")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    users = {str(public_id): pk for pk, public_id in User.objects.values_list("pk", "public_id")}
    for case_pk, public_id in Case.objects.values_list("pk", "public_id"):
        seen: set[tuple[int, str]] = set()
        for kind, raw, at in LedgerEntry.objects.filter(stream=f"case/{public_id}", kind__startswith="case.").order_by(
                "seq").values_list("kind", "canonical", "recorded_at"):
            if kind in NOT_ACTIONS:
                continue
            actor = json.loads(bytes(raw)).get("actor") or {}
            user = users.get(str(actor.get("id") or ""))
            key = (user, kind.removeprefix("case."))
            if user is None or key in seen:
                continue
            seen.add(key)
            CaseParticipant.objects.get_or_create(case_id=case_pk, user_id=user, act=key[1],
                                                  defaults={"first_on": at})


def pauses(apps, schema_editor):
    constraints_immediate(schema_editor)
    Pause = apps.get_model("cases", "Pause")
    ReviewPause = apps.get_model("review", "ReviewPause")
    for p in ReviewPause.objects.select_related("round").order_by("pk"):
        Pause.objects.create(case_id=p.round.case_id, kind="review_materials", review_round_id=p.round_id,
                             start=p.start, end=p.end, note=p.missing)


def clocks(apps, schema_editor):
    constraints_immediate(schema_editor)
    ReviewRound = apps.get_model("review", "ReviewRound")
    Deadline = apps.get_model("cases", "Deadline")
    now = django.utils.timezone.now().isoformat(timespec="seconds")
    for rnd in ReviewRound.objects.filter(due__isnull=False, received_on__isnull=False).order_by("case_id", "number"):
        if Deadline.objects.filter(case_id=rnd.case_id, code=CLOCK, start=rnd.received_on).exists():
            continue
        open_ = rnd.state in ("pending", "in_review", "materials_requested")
        if open_ and Deadline.objects.filter(case_id=rnd.case_id, code=CLOCK,
                                             state__in=["running", "suspended", "extended"]).exists():
            continue  # one open row per code: an open clock is already there
        if open_:
            state = "suspended" if rnd.state == "materials_requested" else "extended" if rnd.extended else "running"
        else:
            state = "missed" if rnd.overdue else "met"
        Deadline.objects.create(
            case_id=rnd.case_id, agency_id=rnd.agency_id, code=CLOCK, rule="REV-6",
            label="法制审核（收到完整材料之日起5个工作日）", start=rnd.received_on, due=rnd.due, day_kind="working",
            state=state, closed_on=None if open_ else rnd.decided_on,
            history=[{"at": now, "event": "migrated", "due": rnd.due.isoformat()}])


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0005_case_history"),
        ("records", "0006_personal_vault"),
        ("review", "0004_round_opinion_document"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseParticipant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("act", models.CharField(max_length=64)),
                ("first_on", models.DateTimeField(default=django.utils.timezone.now)),
                ("case", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="participants",
                                           to="cases.case")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                           to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("case", "user", "act"),
                                                        name="cases_participant_unique")],
            },
        ),
        migrations.AddField(
            model_name="pause",
            name="review_round",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="pauses", to="review.reviewround"),
        ),
        migrations.AlterField(
            model_name="pause",
            name="kind",
            field=models.CharField(choices=[("reconsideration", "行政复议期间"), ("litigation", "行政诉讼期间"),
                                            ("excluded", "依法不计入办案期限的期间"),
                                            ("review_materials", "法制审核退回补充材料期间")], max_length=16),
        ),
        migrations.AlterField(
            model_name="pause",
            name="note",
            field=models.TextField(blank=True),
        ),
        migrations.AddConstraint(
            model_name="pause",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("kind", "review_materials"), ("review_round__isnull", False)),
                                   models.Q(models.Q(("kind", "review_materials"), _negated=True),
                                            ("review_round__isnull", True)), _connector="OR"),
                name="cases_pause_review_round_iff_review"),
        ),
        migrations.RunPython(participants, migrations.RunPython.noop),
        migrations.RunPython(pauses, migrations.RunPython.noop),
        migrations.RunPython(clocks, migrations.RunPython.noop),
    ]
