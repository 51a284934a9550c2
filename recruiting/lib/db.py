"""Small model helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from django.db.models import BaseConstraint, Model

if TYPE_CHECKING:
    # For the type checker the mixin is a model, so that super().get_constraints() is known;
    # at run time it stays a plain class placed before models.Model.
    _MixinBase = Model
else:
    _MixinBase = object


class CleanReportsConstraintsMixin(_MixinBase):
    """Skips, in full_clean(), the constraints whose rule the model's clean() already checks.

    The database still enforces every constraint. clean() reports the same rule on the field a
    person has to fix, naming it; without this the form would show the rule twice, once on the
    field and once at the top.
    """

    constraints_reported_by_clean: ClassVar[frozenset[str]] = frozenset()

    def get_constraints(self) -> list[tuple[type[Model], Sequence[BaseConstraint]]]:
        return [
            (
                model,
                [c for c in constraints if c.name not in self.constraints_reported_by_clean],
            )
            for model, constraints in super().get_constraints()
        ]
