"""Each enrollment's last email sent, its step and when it went (recruiting.outreach.services.
note_last_emails keeps them), computed here once from the emails there are. The same SQL runs
on PostgreSQL and on the embedded demo's SQLite (UPDATE ... FROM, window functions)."""

import django.db.models.deletion
from django.db import migrations, models

LAST_EMAILS = """
UPDATE outreach_enrollment SET last_email_step_id = last.step_id, last_email_at = last.sent_at
FROM (
    SELECT enrollment_id, step_id, sent_at FROM (
        SELECT m.enrollment_id, m.step_id, m.sent_at, ROW_NUMBER() OVER (
            PARTITION BY m.enrollment_id
            ORDER BY COALESCE(s.position, 0) DESC, m.sent_at IS NULL, m.sent_at DESC, m.id DESC
        ) AS n
        FROM outreach_sentmessage m LEFT JOIN outreach_sequencestep s ON s.id = m.step_id
        WHERE m.status = 'sent'
    ) AS ranked
    WHERE n = 1
) AS last
WHERE last.enrollment_id = outreach_enrollment.id
"""


class Migration(migrations.Migration):

    dependencies = [
        ("outreach", "0005_inbound_unsubscribe"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="last_email_step",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="outreach.sequencestep",
            ),
        ),
        migrations.AddField(
            model_name="enrollment",
            name="last_email_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(LAST_EMAILS, migrations.RunSQL.noop),
    ]
