"""Signals the pipeline sends, for apps whose records it moves without knowing their rules."""

from django.dispatch import Signal

# Sent inside merge_candidates' transaction, before the duplicate's records are repointed to
# `keep`: a receiver settles whatever the move would break (a unique rule of its own app).
# Arguments: keep, duplicate (both Candidates, locked).
candidates_merging = Signal()

# Sent inside the transaction of every stage change (move, hire, loss), after the application is
# saved: a receiver ends what the move makes pointless (outreach to someone past contacted).
# Arguments: application (saved, in its new stage).
application_moved = Signal()
