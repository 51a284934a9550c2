"""Small model helpers shared by the apps."""

from __future__ import annotations

from typing import ClassVar


class CleanReportsConstraintsMixin:
    """Skips, in full_clean(), the constraints whose rule the model's clean() already checks.

    The database still enforces every constraint. clean() reports the same rule on the field a
    person has to fix, naming it; without this the form would show the rule twice, once on the
    field and once at the top.
    """

    constraints_reported_by_clean: ClassVar[frozenset[str]] = frozenset()

    def get_constraints(self):  # type: ignore[no-untyped-def]
        return [
            (
                model,
                [c for c in constraints if c.name not in self.constraints_reported_by_clean],
            )
            for model, constraints in super().get_constraints()  # type: ignore[misc]
        ]
