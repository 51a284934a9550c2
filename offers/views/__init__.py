"""Closer's offer pages (the admin has its own): drafting, the offer's page and steps, the
approvals inbox, competing offers and counter-offers. Each view authorizes (offers/access.py),
calls one service and renders or redirects."""
