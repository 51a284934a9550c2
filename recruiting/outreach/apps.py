from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save

from .permissions import ensure_groups

if TYPE_CHECKING:
    from candidates.models import Candidate

    from .models import SequenceStep


def _deleted_step(sender: object, instance: SequenceStep, **kwargs: Any) -> None:
    """A step deleted, however: its emails rank below the others now, and an enrollment whose
    last email it sent has another last email."""
    from .models import Enrollment
    from .services import note_last_emails

    note_last_emails(Enrollment.objects.filter(sequence_id=instance.sequence_id))


def _saved_candidate(sender: object, instance: Candidate, **kwargs: Any) -> None:
    if instance.do_not_contact:
        from .services import stop_for_do_not_contact

        stop_for_do_not_contact([instance.pk])


class OutreachConfig(AppConfig):
    name = "recruiting.outreach"
    label = "outreach"
    verbose_name = "Outreach"

    def ready(self) -> None:
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="outreach.ensure_groups")
        from candidates.models import Candidate
        from candidates.signals import do_not_contact_marked
        from recruiting.pipeline.signals import application_moved, candidates_merging

        from .services import settle_merge, stop_for_application, stop_for_do_not_contact

        candidates_merging.connect(settle_merge, dispatch_uid="outreach.settle_merge")
        application_moved.connect(stop_for_application, dispatch_uid="outreach.stop_for_moved")
        do_not_contact_marked.connect(
            stop_for_do_not_contact, dispatch_uid="outreach.stop_for_do_not_contact"
        )
        # The alerts app knows no domain: outreach hands it its alert kinds.
        from . import reminders

        reminders.register()
        # A candidate saved do-not-contact one by one: the admin's form, an import, a merge.
        post_save.connect(_saved_candidate, sender=Candidate, dispatch_uid="outreach.saved")
        from .models import SequenceStep

        post_delete.connect(_deleted_step, sender=SequenceStep, dispatch_uid="outreach.step_gone")
