"""A candidate's search text, kept by the database.

The admin's and the workspace's candidate search looked for each word in three tables (names,
emails, companies) and joined the three answers: at a million candidates a common word took
most of a second, all of it spent collecting every match before the first page could be
sorted. One column of the candidate's own row holding the three (name, then each email, then
the current company's name, one per line, in lower case) is read through one trigram index or
row by row, whichever PostgreSQL finds cheaper. It is kept in lower case so that matching is a
plain LIKE: UPPER() on every row read cost three times the match itself.

Triggers keep the column right however a row is written (the admin, imports, bulk inserts,
a company renamed): on PostgreSQL per statement where a statement can touch many rows, on
SQLite (the embedded database) per row.
"""

from django.db import migrations, models

POSTGRES = r"""
CREATE FUNCTION candidates_search_text_of(candidate bigint, name text, company bigint)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT lower(concat_ws(E'\n', name,
        (SELECT string_agg(e.email, E'\n' ORDER BY e.id)
           FROM candidates_candidateemail e WHERE e.candidate_id = candidate),
        (SELECT c.name FROM candidates_company c WHERE c.id = company)))
$$;

CREATE FUNCTION candidates_candidate_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := candidates_search_text_of(NEW.id, NEW.name, NEW.current_company_id);
    RETURN NEW;
END $$;

CREATE TRIGGER candidate_search_text
BEFORE INSERT OR UPDATE OF name, current_company_id, search_text ON candidates_candidate
FOR EACH ROW EXECUTE FUNCTION candidates_candidate_search_text();

-- The row trigger above computes the text; the others only name the rows to recompute, by
-- setting the column. Emails: one statement may write thousands (an import, a seed), so one
-- update per statement.
CREATE FUNCTION candidates_email_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE candidates_candidate SET search_text = '' WHERE id IN (SELECT candidate_id FROM changed);
    RETURN NULL;
END $$;

CREATE FUNCTION candidates_email_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE candidates_candidate SET search_text = ''
     WHERE id IN (SELECT candidate_id FROM before UNION SELECT candidate_id FROM after);
    RETURN NULL;
END $$;

CREATE TRIGGER candidate_email_search_text_insert
AFTER INSERT ON candidates_candidateemail REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION candidates_email_changed();

CREATE TRIGGER candidate_email_search_text_delete
AFTER DELETE ON candidates_candidateemail REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION candidates_email_changed();

CREATE TRIGGER candidate_email_search_text_update
AFTER UPDATE ON candidates_candidateemail REFERENCING OLD TABLE AS before NEW TABLE AS after
FOR EACH STATEMENT EXECUTE FUNCTION candidates_email_moved();

CREATE FUNCTION candidates_company_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE candidates_candidate SET search_text = '' WHERE current_company_id IN (
        SELECT a.id FROM after a JOIN before b ON a.id = b.id WHERE a.name IS DISTINCT FROM b.name
     );
    RETURN NULL;
END $$;

CREATE TRIGGER company_search_text
AFTER UPDATE ON candidates_company REFERENCING OLD TABLE AS before NEW TABLE AS after
FOR EACH STATEMENT EXECUTE FUNCTION candidates_company_renamed();

UPDATE candidates_candidate SET search_text = '';

CREATE INDEX candidate_search_text_trgm ON candidates_candidate
 USING gin (search_text gin_trgm_ops);

-- How many rows a word matches decides between the index and reading rows in order; the
-- default sample (100 histogram buckets) guessed "smith" anywhere from 100 to 27,000 of a
-- million. A tenfold sample makes the guess hold.
ALTER TABLE candidates_candidate ALTER COLUMN search_text SET STATISTICS 1000;

-- Only the candidate search read emails by substring.
DROP INDEX IF EXISTS candidate_email_trgm;
"""

POSTGRES_REVERSE = r"""
DROP TRIGGER IF EXISTS company_search_text ON candidates_company;
DROP TRIGGER IF EXISTS candidate_email_search_text_update ON candidates_candidateemail;
DROP TRIGGER IF EXISTS candidate_email_search_text_delete ON candidates_candidateemail;
DROP TRIGGER IF EXISTS candidate_email_search_text_insert ON candidates_candidateemail;
DROP TRIGGER IF EXISTS candidate_search_text ON candidates_candidate;
DROP FUNCTION IF EXISTS candidates_company_renamed();
DROP FUNCTION IF EXISTS candidates_email_moved();
DROP FUNCTION IF EXISTS candidates_email_changed();
DROP FUNCTION IF EXISTS candidates_candidate_search_text();
DROP FUNCTION IF EXISTS candidates_search_text_of(bigint, text, bigint);
DROP INDEX IF EXISTS candidate_search_text_trgm;
ALTER TABLE candidates_candidate ALTER COLUMN search_text SET STATISTICS -1;
CREATE INDEX IF NOT EXISTS candidate_email_trgm ON candidates_candidateemail
 USING gin ((UPPER(email::text)) gin_trgm_ops);
"""

# SQLite has neither statement triggers with transition tables nor BEFORE triggers that set a
# column: each trigger rewrites the rows it touched (recursive triggers are off by default, so
# a trigger's own update does not fire it again).
SQLITE_TEXT = """lower(
    candidates_candidate.name
    || COALESCE(char(10) || (
        SELECT group_concat(email, char(10)) FROM (
            SELECT email FROM candidates_candidateemail
             WHERE candidate_id = candidates_candidate.id ORDER BY id)), '')
    || COALESCE(char(10) || (
        SELECT name FROM candidates_company
         WHERE id = candidates_candidate.current_company_id), ''))
"""

SQLITE_TRIGGERS = [
    ("candidate_search_text_insert", "AFTER INSERT ON candidates_candidate", "NEW.id"),
    (
        "candidate_search_text_update",
        "AFTER UPDATE OF name, current_company_id, search_text ON candidates_candidate",
        "NEW.id",
    ),
    ("candidate_email_search_text_insert", "AFTER INSERT ON candidates_candidateemail",
     "NEW.candidate_id"),
    ("candidate_email_search_text_delete", "AFTER DELETE ON candidates_candidateemail",
     "OLD.candidate_id"),
    ("candidate_email_search_text_update", "AFTER UPDATE ON candidates_candidateemail",
     "OLD.candidate_id, NEW.candidate_id"),
]


def sqlite_statements() -> list[str]:
    statements = [
        f"CREATE TRIGGER {name} {when} BEGIN UPDATE candidates_candidate "
        f"SET search_text = {SQLITE_TEXT} WHERE id IN ({ids}); END"
        for name, when, ids in SQLITE_TRIGGERS
    ]
    statements.append(
        "CREATE TRIGGER company_search_text AFTER UPDATE OF name ON candidates_company "
        f"BEGIN UPDATE candidates_candidate SET search_text = {SQLITE_TEXT} "
        "WHERE current_company_id = NEW.id; END"
    )
    statements.append(f"UPDATE candidates_candidate SET search_text = {SQLITE_TEXT}")
    return statements


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    else:
        for statement in sqlite_statements():
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE)
    else:
        for name, _, _ in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute("DROP TRIGGER IF EXISTS company_search_text")


class Migration(migrations.Migration):
    dependencies = [("candidates", "0004_canadian_dollar")]

    operations = [
        migrations.AddField(
            model_name="candidate",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
