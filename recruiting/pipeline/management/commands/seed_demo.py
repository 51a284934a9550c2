"""`manage.py seed_demo [--candidates N]`: the demo data, and optionally a benchmark set."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recruiting.pipeline.demo import build_bench, build_demo, summarize


class Command(BaseCommand):
    help = (
        "Builds the demo data set from the market in docs/market.md. Idempotent: only what is "
        "missing is created. With --candidates N, also makes N synthetic bench candidates "
        "(bench-000000@bench.example …) with about three applications each."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--candidates",
            type=int,
            default=0,
            metavar="N",
            help="Number of bench candidates that should exist; the missing ones are created.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Bench candidates written per transaction (default 2000).",
        )

    def handle(self, *args: Any, candidates: int, batch_size: int, **options: Any) -> None:
        if candidates < 0:
            raise CommandError("--candidates cannot be negative.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        build_demo()
        if candidates:
            created = build_bench(
                candidates, batch_size=batch_size, progress=options["verbosity"] > 0
            )
            if options["verbosity"] > 1:
                self.stdout.write(f"Created {created} bench candidates.")
        self.stdout.write(summarize())
