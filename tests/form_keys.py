"""Reading a form's one-time key from a page, as the browser sends it
(`recruiting/lib/form_keys.py`)."""

from __future__ import annotations

import re

FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
KEY = re.compile(r'<input type="hidden" name="form_key" value="(?P<key>[^"]+)">')


def key_of(html: str, form_id: str) -> str:
    """The key in the form whose id is `form_id` (the main form of an admin page is
    `<model>_form`); fails the test if the form or its key is missing."""
    for form in FORM.finditer(html):
        if re.search(rf'\bid="{re.escape(form_id)}"', form["attrs"]):
            keys = KEY.findall(form["body"])
            assert len(keys) == 1, f"form #{form_id} carries {len(keys)} keys"
            return keys[0]
    raise AssertionError(f"no form #{form_id} on the page")
