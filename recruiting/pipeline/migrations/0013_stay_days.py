"""Each stay's length in days, a column the database computes from the stay's start and end (a
stored generated column), which the funnel's index carries in place of the start."""

import recruiting.lib.aggregates
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0012_candidate_copy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="stagechange",
            name="stagechange_stays",
        ),
        migrations.AddField(
            model_name="stagechange",
            name="stay_days",
            field=models.GeneratedField(
                db_persist=True,
                expression=recruiting.lib.aggregates.Days(
                    models.F("left_at"), models.F("changed_at")
                ),
                output_field=models.FloatField(),
            ),
        ),
        migrations.AddIndex(
            model_name="stagechange",
            index=models.Index(
                condition=models.Q(("left_at__isnull", False)),
                fields=["to_stage", "left_at"],
                include=("stay_days",),
                name="stagechange_stays",
            ),
        ),
    ]
