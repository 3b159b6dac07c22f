"""Move the 行政处罚 facts off `Case` into `PenaltyDetail` (ADR 0025).

1. create `PenaltyDetail`; 2. copy every penalty case's values (and its 依据条款 links) into its detail row;
3. drop the columns from `Case`. An inspection case gets no detail: the two moved texts it could hold (违法事实,
证据 via 补正案件信息) are appended to its 简要案情 so nothing is lost. Plain ORM in batches: SQLite and PostgreSQL.
"""

import django.db.models.deletion
from django.db import migrations, models

from zhifa.common.migration_support import constraints_immediate


PENALTY_KINDS = ("penalty", "penalty_simple")
MOVED = ("filed_on", "facts", "evidence_summary", "investigation_report", "legal_basis_text", "benchmark_id",
         "benchmark_version", "penalty_kinds", "fine_amount", "confiscation_amount", "penalty_text", "mitigation_note",
         "notice_served_on", "notified_penalty_kinds", "notified_fine", "hearing_right", "defense_outcome",
         "defense_text", "hearing_held", "performance_text", "payment_due", "paid_on", "paid_amount",
         "reminder_served_on")
BATCH = 500


def copy_to_details(apps, schema_editor):
    constraints_immediate(schema_editor)
    Case = apps.get_model("cases", "Case")
    PenaltyDetail = apps.get_model("cases", "PenaltyDetail")
    CaseArticle = Case.legal_basis.through
    DetailArticle = PenaltyDetail.legal_basis.through
    rows = Case.objects.filter(kind__in=PENALTY_KINDS).order_by("pk").values("pk", *MOVED)
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        pk = row.pop("pk")
        batch.append(PenaltyDetail(case_id=pk, **row))
        if len(batch) >= BATCH:
            PenaltyDetail.objects.bulk_create(batch)
            batch = []
    PenaltyDetail.objects.bulk_create(batch)
    links = CaseArticle.objects.filter(case__kind__in=PENALTY_KINDS).values_list("case_id", "article_id")
    DetailArticle.objects.bulk_create([DetailArticle(penaltydetail_id=c, article_id=a) for c, a in links],
                                      batch_size=BATCH)
    for case in Case.objects.exclude(kind__in=PENALTY_KINDS).exclude(facts="", evidence_summary=""):
        extra = [f"{label}：{text}" for label, text in (("违法事实", case.facts), ("证据", case.evidence_summary))
                 if text]
        case.summary = "\n".join([case.summary, *extra]).strip()
        case.save(update_fields=["summary"])


def copy_back(apps, schema_editor):
    constraints_immediate(schema_editor)
    Case = apps.get_model("cases", "Case")
    PenaltyDetail = apps.get_model("cases", "PenaltyDetail")
    CaseArticle = Case.legal_basis.through
    DetailArticle = PenaltyDetail.legal_basis.through
    for row in PenaltyDetail.objects.order_by("pk").values("case_id", *MOVED).iterator(chunk_size=BATCH):
        pk = row.pop("case_id")
        Case.objects.filter(pk=pk).update(**row)
    links = DetailArticle.objects.values_list("penaltydetail_id", "article_id")
    CaseArticle.objects.bulk_create([CaseArticle(case_id=c, article_id=a) for c, a in links], batch_size=BATCH)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0006_review_seam_participants_and_pauses'),
        ('registry', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='PenaltyDetail',
            fields=[
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='penalty', serialize=False, to='cases.case')),
                ('filed_on', models.DateField(blank=True, null=True, verbose_name='立案日期')),
                ('facts', models.TextField(blank=True, verbose_name='违法事实')),
                ('evidence_summary', models.TextField(blank=True, verbose_name='证据')),
                ('investigation_report', models.TextField(blank=True, verbose_name='调查终结报告')),
                ('legal_basis_text', models.TextField(blank=True, verbose_name='法律依据')),
                ('benchmark_version', models.PositiveIntegerField(blank=True, null=True, verbose_name='裁量基准版本')),
                ('penalty_kinds', models.JSONField(blank=True, default=list, verbose_name='处罚种类')),
                ('fine_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='罚款金额（元）')),
                ('confiscation_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='没收金额（元）')),
                ('penalty_text', models.TextField(blank=True, verbose_name='处罚内容')),
                ('mitigation_note', models.TextField(blank=True, verbose_name='从轻、减轻情节')),
                ('notice_served_on', models.DateField(blank=True, null=True, verbose_name='告知书送达日期')),
                ('notified_penalty_kinds', models.JSONField(blank=True, default=list, verbose_name='告知的处罚种类')),
                ('notified_fine', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='告知的罚款金额')),
                ('hearing_right', models.BooleanField(default=False, verbose_name='告知听证权利')),
                ('defense_outcome', models.CharField(blank=True, max_length=16, verbose_name='陈述申辩情况')),
                ('defense_text', models.TextField(blank=True, verbose_name='陈述申辩意见及复核')),
                ('hearing_held', models.BooleanField(default=False, verbose_name='经过听证')),
                ('performance_text', models.TextField(blank=True, verbose_name='履行方式和期限')),
                ('payment_due', models.DateField(blank=True, null=True, verbose_name='缴款期限')),
                ('paid_on', models.DateField(blank=True, null=True, verbose_name='缴款日期')),
                ('paid_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='已缴金额')),
                ('reminder_served_on', models.DateField(blank=True, null=True, verbose_name='催告书送达日期')),
            ],
            options={
                'verbose_name': '行政处罚案件信息',
                'verbose_name_plural': '行政处罚案件信息',
            },
        ),
        migrations.AddField(
            model_name='penaltydetail',
            name='benchmark',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.discretionbenchmark', verbose_name='裁量基准'),
        ),
        migrations.AddField(
            model_name='penaltydetail',
            name='legal_basis',
            field=models.ManyToManyField(blank=True, related_name='+', to='registry.article', verbose_name='依据条款'),
        ),
        migrations.AddConstraint(
            model_name='penaltydetail',
            constraint=models.CheckConstraint(condition=models.Q(('fine_amount__isnull', True), ('fine_amount__gte', 0), _connector='OR'), name='cases_penalty_fine_not_negative'),
        ),
        migrations.RunPython(copy_to_details, copy_back),
        migrations.RemoveConstraint(
            model_name='case',
            name='cases_case_fine_not_negative',
        ),
        migrations.RemoveField(
            model_name='case',
            name='benchmark',
        ),
        migrations.RemoveField(
            model_name='case',
            name='benchmark_version',
        ),
        migrations.RemoveField(
            model_name='case',
            name='confiscation_amount',
        ),
        migrations.RemoveField(
            model_name='case',
            name='defense_outcome',
        ),
        migrations.RemoveField(
            model_name='case',
            name='defense_text',
        ),
        migrations.RemoveField(
            model_name='case',
            name='evidence_summary',
        ),
        migrations.RemoveField(
            model_name='case',
            name='facts',
        ),
        migrations.RemoveField(
            model_name='case',
            name='filed_on',
        ),
        migrations.RemoveField(
            model_name='case',
            name='fine_amount',
        ),
        migrations.RemoveField(
            model_name='case',
            name='hearing_held',
        ),
        migrations.RemoveField(
            model_name='case',
            name='hearing_right',
        ),
        migrations.RemoveField(
            model_name='case',
            name='investigation_report',
        ),
        migrations.RemoveField(
            model_name='case',
            name='legal_basis',
        ),
        migrations.RemoveField(
            model_name='case',
            name='legal_basis_text',
        ),
        migrations.RemoveField(
            model_name='case',
            name='mitigation_note',
        ),
        migrations.RemoveField(
            model_name='case',
            name='notice_served_on',
        ),
        migrations.RemoveField(
            model_name='case',
            name='notified_fine',
        ),
        migrations.RemoveField(
            model_name='case',
            name='notified_penalty_kinds',
        ),
        migrations.RemoveField(
            model_name='case',
            name='paid_amount',
        ),
        migrations.RemoveField(
            model_name='case',
            name='paid_on',
        ),
        migrations.RemoveField(
            model_name='case',
            name='payment_due',
        ),
        migrations.RemoveField(
            model_name='case',
            name='penalty_kinds',
        ),
        migrations.RemoveField(
            model_name='case',
            name='penalty_text',
        ),
        migrations.RemoveField(
            model_name='case',
            name='performance_text',
        ),
        migrations.RemoveField(
            model_name='case',
            name='reminder_served_on',
        ),
    ]
