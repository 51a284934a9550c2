"""Existing Contacted stages get the follow-up the default pipeline now gives new roles."""

from django.db import migrations

FOLLOW_UP_DAYS = 5  # as DEFAULT_PIPELINE's Contacted stage


def mark_contacted_stages(apps, schema_editor):
    Stage = apps.get_model("pipeline", "Stage")  # noqa: N806
    Stage.objects.filter(kind="contacted", follow_up_days__isnull=True).update(
        follow_up_days=FOLLOW_UP_DAYS
    )


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0004_stage_follow_up_and_reminder_indexes"),
    ]

    operations = [
        # Going back leaves the column to 0004's reversal, which drops it.
        migrations.RunPython(mark_contacted_stages, migrations.RunPython.noop),
    ]
