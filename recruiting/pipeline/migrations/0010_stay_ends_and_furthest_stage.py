"""The end of each stay on its stage change, and the furthest stage reached on its application
(recruiting/pipeline/history.py), computed here once from the history there is. The same SQL
runs on PostgreSQL and on the embedded demo's SQLite (3.33 or later: UPDATE ... FROM)."""

import django.db.models.deletion
from django.db import migrations, models

STAY_ENDS = """
UPDATE pipeline_stagechange SET left_at = following.next_at
FROM (
    SELECT id, LEAD(changed_at) OVER (
        PARTITION BY application_id ORDER BY changed_at, id
    ) AS next_at
    FROM pipeline_stagechange
) AS following
WHERE following.id = pipeline_stagechange.id AND following.next_at IS NOT NULL
"""

FURTHEST = """
UPDATE pipeline_application SET furthest_stage_id = furthest.stage_id
FROM (
    SELECT application_id, stage_id FROM (
        SELECT c.application_id, c.to_stage_id AS stage_id, ROW_NUMBER() OVER (
            PARTITION BY c.application_id ORDER BY s.position DESC, c.changed_at DESC, c.id DESC
        ) AS n
        FROM pipeline_stagechange c JOIN pipeline_stage s ON s.id = c.to_stage_id
        WHERE s.kind <> 'lost'
    ) AS ranked
    WHERE n = 1
) AS furthest
WHERE furthest.application_id = pipeline_application.id
"""


class Migration(migrations.Migration):

    dependencies = [
        ("pipeline", "0009_stagechange_application_changed_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="furthest_stage",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="pipeline.stage",
            ),
        ),
        migrations.AddField(
            model_name="stagechange",
            name="left_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(STAY_ENDS, migrations.RunSQL.noop),
        migrations.RunSQL(FURTHEST, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="stagechange",
            index=models.Index(
                condition=models.Q(("left_at__isnull", False)),
                fields=["to_stage", "left_at", "changed_at"],
                name="stagechange_stays",
            ),
        ),
        migrations.AddConstraint(
            model_name="stagechange",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("left_at__isnull", True),
                    ("left_at__gte", models.F("changed_at")),
                    _connector="OR",
                ),
                name="stagechange_left_after_entered",
                violation_error_message="A stage is left after it is entered.",
            ),
        ),
    ]
