"""The offers app in the admin: offers, their approvals, bands, rates and rules (offers.py);
competing offers (competing.py); what the two share (parts.py). The pieces that show on other
apps' admin pages (the candidate's competing offers, the filters, the competitor search) are
exported by competing.py and assembled with the rest in recruiting/web/admin.py."""

from . import competing, offers  # noqa: F401  (importing them registers their admins)
