"""The search index as a stored base plus a delta scored from tokens stored at publication (ADR 0034).

The old `SearchIndex` rows (a whole index per generation, in the database) are dropped: the task builds the first
base after the upgrade (the worker runs it at start and hourly; until then, searches score the newest snapshots from
their tokens). The tokens of existing snapshots are stored here.
"""

import django.db.models.deletion
from django.db import migrations, models

import rjieba

# A copy of zhifa.disclosure.search.entry_tokens as of this migration (migrations do not import app code that may
# change later).
_STOP = frozenset("的 了 和 与 及 或 在 对 为 是 等 之 其 由 按 应 可 不 未 有 并 、 ， 。 ； ： （ ） 《 》 “ ” ？ ！".split())


def _tokens(title, text):
    return " ".join(t for t in rjieba.cut_for_search(f"{title} {title} {text}".lower())
                    if t.strip() and t not in _STOP)


def drop_old_indexes(apps, schema_editor):
    apps.get_model("disclosure", "SearchIndex").objects.all().delete()


def backfill_tokens(apps, schema_editor):
    PublicEntry = apps.get_model("disclosure", "PublicEntry")
    SearchTokens = apps.get_model("disclosure", "SearchTokens")
    rows = PublicEntry.objects.filter(tokens__isnull=True).values_list("pk", "title", "search_text").iterator(2000)
    batch = []
    for pk, title, text in rows:
        batch.append(SearchTokens(entry_id=pk, tokens=_tokens(title, text)))
        if len(batch) >= 2000:
            SearchTokens.objects.bulk_create(batch)
            batch = []
    SearchTokens.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ("disclosure", "0003_portal_generation"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchTokens",
            fields=[
                ("entry", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                               related_name="tokens", serialize=False,
                                               to="disclosure.publicentry")),
                ("tokens", models.TextField()),
            ],
            options={"verbose_name": "检索分词", "verbose_name_plural": "检索分词"},
        ),
        migrations.RunPython(drop_old_indexes, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name="searchindex",
            options={"ordering": ["-pk"], "verbose_name": "检索索引", "verbose_name_plural": "检索索引"},
        ),
        migrations.RemoveField(model_name="searchindex", name="generation"),
        migrations.RemoveField(model_name="searchindex", name="entry_ids"),
        migrations.RemoveField(model_name="searchindex", name="data"),
        migrations.AddField(
            model_name="searchindex",
            name="name",
            field=models.CharField(max_length=32, unique=True, default="", verbose_name="标识"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="searchindex",
            name="covers_through",
            field=models.BigIntegerField(default=0, verbose_name="覆盖至条目"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="searchindex",
            name="entries",
            field=models.PositiveIntegerField(default=0, verbose_name="条目数"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="searchindex",
            name="size",
            field=models.BigIntegerField(default=0, verbose_name="大小"),
            preserve_default=False,
        ),
        migrations.RunPython(backfill_tokens, migrations.RunPython.noop),
    ]
