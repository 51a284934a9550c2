from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from recruiting.privacy.selectors import due_for_retention, retention_cutoff, why_due
from recruiting.privacy.services import apply_retention


class Command(BaseCommand):
    help = (
        "Anonymises the prospects the retention rule picks (PRIVACY_PROSPECT_RETENTION_DAYS), "
        "as the daily job does, and records the run. With --dry-run, lists who the next run "
        "would anonymise and why, and changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be anonymised; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            due = list(due_for_retention()[: settings.PRIVACY_RETENTION_BATCH])
            total = due_for_retention().count()
            self.stdout.write(
                f"The next run would anonymise {len(due)} candidate(s) (of {total} due) "
                "untouched since before "
                f"{retention_cutoff():%Y-%m-%d} "
                f"({settings.PRIVACY_PROSPECT_RETENTION_DAYS} days):"
            )
            for candidate in due:
                self.stdout.write(f"  candidate {candidate.pk}: {why_due(candidate)}")
            return
        run = apply_retention()
        ids = ", ".join(str(pk) for pk in run.candidate_ids) or "nobody"
        self.stdout.write(f"Anonymised {run.anonymised} candidate(s): {ids}.")
        if run.skipped_ids:
            skipped = ", ".join(str(pk) for pk in run.skipped_ids)
            self.stdout.write(f"Skipped (no longer due when their turn came): {skipped}.")
