"""What the pipeline's admin tests share: the messages of a response, and running a list's
action through its intermediate page as a person would."""

from __future__ import annotations

from django.contrib.messages import get_messages


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def run_action(client, url: str, action: str, rows, **form: str):
    """Chooses the action on the list, then submits its intermediate page as a person would."""
    selected = [str(r.pk) for r in rows]
    page = client.post(url, {"action": action, "_selected_action": selected})
    assert page.status_code == 200
    assert page.templates[0].name == "admin/action_form.html"
    return client.post(url, {"action": action, "_selected_action": selected, "apply": "1", **form})
