"""One review clock and one pause model (ADR 0024): the due date lives in the case's `Deadline(code="review")` row
and the materials pauses in `cases.Pause` (both carried over by cases 0005); the round's copies go."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0006_review_seam_participants_and_pauses"),
        ("review", "0004_round_opinion_document"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="reviewround", name="review_round_agency_queue"),
        migrations.RemoveIndex(model_name="reviewround", name="review_round_reviewer_queue"),
        migrations.RemoveField(model_name="reviewround", name="due"),
        migrations.AddIndex(
            model_name="reviewround",
            index=models.Index(fields=["agency", "decided_on", "received_on"], name="review_round_agency_queue"),
        ),
        migrations.AddIndex(
            model_name="reviewround",
            index=models.Index(fields=["assigned_to", "decided_on", "received_on"],
                               name="review_round_reviewer_queue"),
        ),
        migrations.DeleteModel(name="ReviewPause"),
    ]
