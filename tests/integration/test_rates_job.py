"""The scheduled job that loads the European Central Bank's reference rates: a real worker
fetches a real-format file (the ECB's zip of its history CSV) from a local HTTP server."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from candidates.models import Currency
from offers.models import ExchangeRate
from offers.selectors import rate_on
from offers.tasks import fetch_rates

pytestmark = pytest.mark.django_db(transaction=True)

# As the ECB writes eurofxref-hist.csv: ISO dates, "N/A" where a currency has no rate that
# day, a comma at the end of each line. JPY is not a currency Closer knows.
HISTORY = (
    "Date,USD,JPY,GBP,CHF,\n"
    "2026-12-04,1.1806,183.37,0.87405,0.9371,\n"
    "2026-12-03,1.1780,182.90,N/A,0.9355,\n"
)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def ecb_site(tmp_path: Path) -> Iterator[str]:
    """A local web server with the ECB's two history files (zipped, as it publishes them) and
    a page that is not rates; yields its address."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("eurofxref-hist.csv", HISTORY)
    (tmp_path / "eurofxref-hist.zip").write_bytes(archive.getvalue())
    (tmp_path / "maintenance.html").write_text("<html><body>Back soon</body></html>")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def currencies():
    for code, name in (("EUR", "Euro"), ("USD", "US dollar"), ("GBP", "Pound sterling")):
        Currency.objects.get_or_create(code=code, defaults={"name": name})
    Currency.objects.get_or_create(code="CHF", defaults={"name": "Swiss franc"})


def test_the_job_fetches_the_ecb_history_and_loads_it_once(ecb_site, currencies, own_worker, drain):
    own_worker(ECB_RATES_URL=f"{ecb_site}/eurofxref-hist.zip")

    fetch_rates.delay()
    drain()
    fetch_rates.delay()  # the next run: the same file changes nothing
    drain()

    assert ExchangeRate.objects.count() == 5  # USD, GBP, CHF on the 4th; USD, CHF on the 3rd
    assert rate_on("EUR", "USD", date(2026, 12, 4))[0] == Decimal("1.1806")
    assert rate_on("EUR", "CHF", date(2026, 12, 3))[0] == Decimal("0.9355")


def test_a_page_that_is_not_rates_loads_nothing(ecb_site, currencies, own_worker, drain):
    worker_log = own_worker(ECB_RATES_URL=f"{ecb_site}/maintenance.html")

    fetch_rates.delay()
    drain()

    assert not ExchangeRate.objects.exists()
    assert worker_log.poll() is None  # the worker goes on
