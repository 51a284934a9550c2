"""The pay access log is append-only, held by the database whatever writes to it (the ORM, a
shell, a script with the application's credentials).

PostgreSQL: a row trigger refuses every UPDATE, and every DELETE unless the transaction set
`closer.pay_access_purge` to `on` (`set_config(..., true)`, gone at commit or rollback), which
only the retention purge does. TRUNCATE is not refused: it needs the table's owner, and the
test suite empties tables with it.

SQLite (the embedded `make run`): a trigger refuses UPDATE; DELETE is left to the application
(the admin offers none), SQLite having no transaction-local setting for the purge to say so.
"""

from django.db import migrations

POSTGRES = r"""
CREATE FUNCTION audit_pay_access_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('closer.pay_access_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the pay access log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER pay_access_append_only
BEFORE UPDATE OR DELETE ON audit_payaccess
FOR EACH ROW EXECUTE FUNCTION audit_pay_access_append_only();
"""

POSTGRES_DROP = r"""
DROP TRIGGER IF EXISTS pay_access_append_only ON audit_payaccess;
DROP FUNCTION IF EXISTS audit_pay_access_append_only();
"""

SQLITE = r"""
CREATE TRIGGER pay_access_append_only BEFORE UPDATE ON audit_payaccess
BEGIN
    SELECT RAISE(ABORT, 'the pay access log is append-only: UPDATE refused');
END
"""


def add_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, None)  # None: no placeholders, "%" is plpgsql's
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE)


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS pay_access_append_only")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(add_trigger, drop_trigger)]
