"""Thin Celery wrappers for candidates: a file's check and its import (imports.py), and the
sweep of the files of imports never confirmed."""

from __future__ import annotations

from celery import shared_task

from . import imports


@shared_task(name="candidates.check_import", ignore_result=True)
def check_import(job_id: int) -> None:
    imports.check_job(job_id)


@shared_task(name="candidates.run_import", ignore_result=True)
def run_import(job_id: int) -> None:
    imports.import_job(job_id)


@shared_task(name="candidates.sweep_imports", ignore_result=True)
def sweep_imports() -> int:
    """Every ten minutes (the scheduler): files older than CANDIDATE_IMPORT_KEEP_HOURS."""
    return imports.sweep_files()
