"""Demo data for Closer, and the builders that put it in the database.

`build_demo()` makes the small, hand-shaped demo set in the market of docs/market.md: a competitor
about to go quiet for a week, our own people at risk of being poached, a candidate lost to a
competing offer, stale applications. `build_bench(n)` adds a large synthetic data set for
benchmarks, written with bulk inserts.

Both are idempotent. Rows are matched on natural keys (company name, username, role title and
city, candidate email) and only what is missing is created, so a second run changes nothing.
Everything is drawn from generators seeded with SEED, and the whole demo is computed before the
database is looked at, so what already exists never shifts what is generated next: the demo is
the same on every run and on every machine. Dates are relative to the day of the run.
"""

from .bench import build_bench
from .build import build_demo, summarize

__all__ = ["build_bench", "build_demo", "summarize"]
