"""What the people's data tests share: searching every text column of every table for words."""

from __future__ import annotations

from django.apps import apps
from django.db import connection, models
from django.db.models.functions import Cast

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.GenericIPAddressField)


def models_mentioning(*words: str) -> dict[str, set[str]]:
    """For each word, the "table.column"s (every model Django knows, auto-created ones and
    django-simple-history's included) whose text holds it, case-insensitive."""
    found: dict[str, set[str]] = {word: set() for word in words}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            as_text = model._base_manager.annotate(
                _text=Cast(field.attname, output_field=models.TextField())
            )
            for word in words:
                if as_text.filter(_text__icontains=word).exists():
                    found[word].add(f"{model._meta.db_table}.{field.column}")
    return found


def columns_mentioning(*words: str) -> dict[str, set[str]]:
    """The same, asked of the database itself: every text, character or JSON column of every
    table in the schema, whether Django has a model for it or not."""
    found: dict[str, set[str]] = {word: set() for word in words}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type IN "
            "('text', 'character varying', 'character', 'json', 'jsonb', 'inet')"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            for word in words:
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',
                    [f"%{word}%"],
                )
                if cursor.fetchone():
                    found[word].add(f"{table}.{column}")
    return found
