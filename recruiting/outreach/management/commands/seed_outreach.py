from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from recruiting.outreach.demo import build_demo_outreach, build_second_sequence, summarize


class Command(BaseCommand):
    help = (
        "Loads the outreach demo (templates, a three-step sequence and a two-step one, candidates "
        "of the pipeline demo part-way through them). Run after seed_demo; running it again "
        "changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        build_demo_outreach()
        build_second_sequence()
        self.stdout.write(summarize())
