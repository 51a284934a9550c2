"""Signals the candidates app sends, for apps that act on a candidate's state without it knowing
their rules."""

from django.dispatch import Signal

# Sent inside the transaction of a bulk "mark do-not-contact" (a queryset update, which sends no
# post_save), after the update. Arguments: candidate_ids (those newly marked).
do_not_contact_marked = Signal()
