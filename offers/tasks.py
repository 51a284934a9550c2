"""Thin Celery wrappers for offers: the scheduled fetch of exchange rates, and offers
expiring at their deadline."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from . import figures, rates
from .services import expire_due_offers

log = logging.getLogger(__name__)


@shared_task(
    name="offers.fetch_rates",
    ignore_result=True,
    # Only the network is worth another try; a file that is not rates stays refused.
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=5,
)
def fetch_rates() -> dict[str, object]:
    """Loads the reference rates published at ECB_RATES_URL (set in production; off in the
    embedded setup). All or none, as a file loaded by hand."""
    url = settings.ECB_RATES_URL
    if not url:
        return {"skipped": "ECB_RATES_URL is not set"}
    try:
        loaded = rates.load_rate_file(rates.fetch_rate_file(url))
    except rates.RateFileError as refused:
        log.error("rates from %s refused: %s", url, " ".join(refused.messages))
        return {"refused": refused.messages}
    log.info("loaded %d exchange rate(s) from %s", loaded, url)
    return {"loaded": loaded}


@shared_task(name="offers.expire_due", ignore_result=True)
def expire_due() -> int:
    """Offers whose deadline passed expire by themselves (every minute, by the scheduler)."""
    return len(expire_due_offers())


@shared_task(name="offers.refresh_report_figures", ignore_result=True)
def refresh_report_figures() -> dict[str, int]:
    """Values, for the reports, the packages that could not be valued when they were written
    (a currency had no rate then)."""
    return {"valued": figures.refresh_missing()}
