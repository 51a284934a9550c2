"""Beyond money: how well an employer's offerings (team lead, quality of work, research
freedom, publishing, ethics and impact, location) fit what a candidate weighs. Pure Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# A motivator the candidate weighs at least this much (of 5) is worth a line in a comparison.
MATTERS = 3


@dataclass(frozen=True)
class FitComparison:
    ours: int | None  # fit scores, 0–100; None when nothing is known on the motivators
    theirs: int | None
    we_win_on: tuple[str, ...]  # offerings, the candidate's weightiest first
    they_win_on: tuple[str, ...]


def fit_score(weights: Mapping[str, int], ratings: Mapping[str, int | None]) -> int | None:
    """The ratings (0–5) weighted by the candidate's motivators (0–5), as a percentage of
    the best possible (every rating 5). Offerings rated None are left out; None when no
    weighted offering is rated."""
    known = [
        (weight, rating)
        for key, weight in weights.items()
        if (rating := ratings.get(key)) is not None
    ]
    weight = sum(w for w, _ in known)
    if weight == 0:
        return None
    score = Decimal(sum(w * r for w, r in known)) * 100 / (5 * weight)
    return int(score.quantize(Decimal(1), ROUND_HALF_UP))


def compare_fit(
    weights: Mapping[str, int],
    ours: Mapping[str, int | None],
    theirs: Mapping[str, int | None],
) -> FitComparison:
    """Both scores over the offerings rated on both sides (so an unknown rating does not
    tilt the comparison), and where each side is rated higher on a motivator that matters to
    the candidate."""
    both = {key for key in weights if ours.get(key) is not None and theirs.get(key) is not None}
    on_both = {key: weights[key] for key in weights if key in both}
    # Each side's ratings of those offerings: none is None.
    our = {key: rating for key in on_both if (rating := ours[key]) is not None}
    their = {key: rating for key in on_both if (rating := theirs[key]) is not None}
    ranked = sorted(
        (key for key in on_both if weights[key] >= MATTERS),
        key=lambda key: (-weights[key], -abs(our[key] - their[key])),
    )
    return FitComparison(
        ours=fit_score(on_both, ours),
        theirs=fit_score(on_both, theirs),
        we_win_on=tuple(key for key in ranked if our[key] > their[key]),
        they_win_on=tuple(key for key in ranked if their[key] > our[key]),
    )
