from django.db import migrations

CURRENCIES = [
    ("USD", "US dollar"),
    ("EUR", "Euro"),
    ("GBP", "Pound sterling"),
    ("CHF", "Swiss franc"),
]

# Trigram indexes make the admin's "contains" search (UPPER(col) LIKE '%term%') use an index
# on PostgreSQL; SQLite, the embedded database, scans instead and needs none.
TRIGRAM_INDEXES = [
    ("candidate_name_trgm", "candidates_candidate", "name"),
    ("candidate_email_trgm", "candidates_candidateemail", "email"),
    ("company_name_trgm", "candidates_company", "name"),
]


def add_currencies(apps, schema_editor):
    Currency = apps.get_model("candidates", "Currency")
    for code, name in CURRENCIES:
        Currency.objects.get_or_create(code=code, defaults={"name": name})


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("candidates", "0001_initial")]

    operations = [
        migrations.RunPython(add_currencies, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
