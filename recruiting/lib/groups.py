"""Giving a group its permissions after every migrate (permissions exist only by then)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

VERBS = {"a": "add", "v": "view", "c": "change", "d": "delete"}


def grant(
    group_name: str,
    permissions: Mapping[str, Mapping[str, str]],
    *,
    using: str,
    also: Iterable[str] = (),
) -> None:
    """Creates the group if it is missing and adds to it, per app label and model, the
    permissions named by letter (a add, v view, c change, d delete), and the apps' own
    permissions named in `also` (say "view_compensation"). Never removes any."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.using(using).get_or_create(name=group_name)
    codenames = [
        f"{VERBS[verb]}_{model}"
        for models in permissions.values()
        for model, verbs in models.items()
        for verb in verbs
    ]
    codenames.extend(also)
    group.permissions.add(
        *Permission.objects.using(using).filter(
            content_type__app_label__in=permissions, codename__in=codenames
        )
    )
