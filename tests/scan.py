"""Counting a reminder scan's queries apart from the alerts it writes.

A first scan raises alerts: one bulk INSERT per rule that raised any (per 2,000 alerts), plus
each recipient's preference and profile (read once per scan), which grow with the number of
people told. What must not grow with the data is the rest: the queries that find what is
due.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ScanQueries:
    finding: list[str]  # the rules' own queries
    inserts: list[str]  # the bulk INSERTs of a rule's alerts
    lookups: list[str]  # a recipient's preference or profile, once per scan
    savepoints: list[str]


def split(captured: list[dict]) -> ScanQueries:
    result = ScanQueries([], [], [], [])
    for query in captured:
        sql = query["sql"]
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            result.savepoints.append(sql)
        elif sql.startswith('INSERT INTO "alerts_alert"'):
            result.inserts.append(sql)
        elif '"alerts_alertpreference"' in sql or '"alerts_alertprofile"' in sql:
            result.lookups.append(sql)
        else:
            result.finding.append(sql)
    return result
