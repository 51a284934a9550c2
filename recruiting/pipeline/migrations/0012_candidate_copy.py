"""Each application keeps a copy of its candidate's source and owner, which the funnel groups
by: joined to the candidates at read time, they were half of its two biggest queries. The
database keeps the copies (triggers, below), so that no way of changing a candidate, an
application or who an application belongs to can leave one behind: a form, the admin, an
import, a queryset update, a merge, raw SQL. PostgreSQL sets them on the row being written;
SQLite (the embedded demo) updates the row just written."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Copied into the migration from candidates.Candidate.Source, as a migration must not change.
SOURCES = [
    ("sourced", "Sourced"),
    ("referral", "Referral"),
    ("inbound", "Inbound"),
    ("agency", "Agency"),
    ("event", "Event"),
]

BACKFILL = """
UPDATE pipeline_application SET candidate_source = c.source, candidate_owner_id = c.owner_id
FROM candidates_candidate c WHERE c.id = pipeline_application.candidate_id
"""

POSTGRESQL = """
CREATE FUNCTION pipeline_application_copy_candidate() RETURNS trigger AS $$
BEGIN
    SELECT c.source, c.owner_id INTO NEW.candidate_source, NEW.candidate_owner_id
    FROM candidates_candidate c WHERE c.id = NEW.candidate_id;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER pipeline_application_copy_candidate
BEFORE INSERT OR UPDATE OF candidate_id, candidate_source, candidate_owner_id
ON pipeline_application FOR EACH ROW EXECUTE FUNCTION pipeline_application_copy_candidate();

CREATE FUNCTION candidates_candidate_copy_to_applications() RETURNS trigger AS $$
BEGIN
    UPDATE pipeline_application SET candidate_source = NEW.source, candidate_owner_id = NEW.owner_id
    WHERE candidate_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER candidates_candidate_copy_to_applications
AFTER UPDATE OF source, owner_id ON candidates_candidate FOR EACH ROW
WHEN (OLD.source IS DISTINCT FROM NEW.source OR OLD.owner_id IS DISTINCT FROM NEW.owner_id)
EXECUTE FUNCTION candidates_candidate_copy_to_applications();
"""

POSTGRESQL_DROP = """
DROP TRIGGER candidates_candidate_copy_to_applications ON candidates_candidate;
DROP FUNCTION candidates_candidate_copy_to_applications();
DROP TRIGGER pipeline_application_copy_candidate ON pipeline_application;
DROP FUNCTION pipeline_application_copy_candidate();
"""

# SQLite's triggers cannot set the row being written: they update it once written. (A trigger
# does not fire itself again: SQLite's recursive triggers are off.)
_SQLITE_COPY = """
    UPDATE pipeline_application SET
        candidate_source = (SELECT source FROM candidates_candidate WHERE id = NEW.candidate_id),
        candidate_owner_id = (SELECT owner_id FROM candidates_candidate WHERE id = NEW.candidate_id)
    WHERE id = NEW.id;
"""
SQLITE = [
    "CREATE TRIGGER pipeline_application_copy_candidate_insert AFTER INSERT ON "
    f"pipeline_application FOR EACH ROW BEGIN {_SQLITE_COPY} END",
    "CREATE TRIGGER pipeline_application_copy_candidate_update AFTER UPDATE OF candidate_id, "
    "candidate_source, candidate_owner_id ON pipeline_application FOR EACH ROW BEGIN "
    f"{_SQLITE_COPY} END",
    "CREATE TRIGGER candidates_candidate_copy_to_applications AFTER UPDATE OF source, owner_id "
    "ON candidates_candidate FOR EACH ROW BEGIN UPDATE pipeline_application SET "
    "candidate_source = NEW.source, candidate_owner_id = NEW.owner_id "
    "WHERE candidate_id = NEW.id; END",
]
SQLITE_DROP = [
    "DROP TRIGGER candidates_candidate_copy_to_applications",
    "DROP TRIGGER pipeline_application_copy_candidate_update",
    "DROP TRIGGER pipeline_application_copy_candidate_insert",
]


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL)
        else:
            for statement in SQLITE:
                cursor.execute(statement)


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_DROP)
        else:
            for statement in SQLITE_DROP:
                cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("candidates", "0006_candidate_imports"),
        ("pipeline", "0011_first_contact"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="candidate_source",
            field=models.CharField(
                blank=True, choices=SOURCES, default="", editable=False, max_length=20
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="candidate_owner",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
