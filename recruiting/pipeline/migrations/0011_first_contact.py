"""When each application first went past Sourced and when its first outreach email was sent
(the funnel's first contact is the earlier: recruiting/pipeline/history.py and
recruiting.outreach.services.note_first_emails keep them), computed here once from the history
there is. The same SQL runs on PostgreSQL and on the embedded demo's SQLite (UPDATE ... FROM)."""

from django.db import migrations, models

FIRST_ADVANCED = """
UPDATE pipeline_application SET first_advanced_at = firsts.at
FROM (
    SELECT c.application_id, MIN(c.changed_at) AS at
    FROM pipeline_stagechange c JOIN pipeline_stage s ON s.id = c.to_stage_id
    WHERE s.kind NOT IN ('sourced', 'lost')
    GROUP BY c.application_id
) AS firsts
WHERE firsts.application_id = pipeline_application.id
"""

FIRST_EMAILED = """
UPDATE pipeline_application SET first_emailed_at = firsts.at
FROM (
    SELECT e.application_id, MIN(m.sent_at) AS at
    FROM outreach_sentmessage m JOIN outreach_enrollment e ON e.id = m.enrollment_id
    WHERE m.status = 'sent' AND m.sent_at IS NOT NULL AND e.application_id IS NOT NULL
    GROUP BY e.application_id
) AS firsts
WHERE firsts.application_id = pipeline_application.id
"""


class Migration(migrations.Migration):

    dependencies = [
        ("pipeline", "0010_stay_ends_and_furthest_stage"),
        ("outreach", "0005_inbound_unsubscribe"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="first_advanced_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="application",
            name="first_emailed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(FIRST_ADVANCED, migrations.RunSQL.noop),
        migrations.RunSQL(FIRST_EMAILED, migrations.RunSQL.noop),
    ]
