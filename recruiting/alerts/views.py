from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recruiting.lib.access import can_see_compensation
from recruiting.lib.formats import hide_amounts
from recruiting.lib.types import AuthenticatedRequest

from . import registry
from .forms import PreferencesForm
from .models import Alert, AlertProfile
from .preferences import current_preferences, set_preferences


@login_required
def my_alerts(request: AuthenticatedRequest) -> HttpResponse:
    alerts = Alert.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    labels = {k.name: k.label for k in registry.kinds()}
    # An alert reads as it was written for its recipient; one who may no longer see pay (moved
    # out of the approvers, say) reads their old alerts without the amounts, as in the admin.
    shown = (lambda text: text) if can_see_compensation(request.user) else hide_amounts
    for alert in page.object_list:
        alert.kind_label = labels.get(alert.kind, alert.kind)
        alert.subject_shown = shown(alert.subject)
        alert.message_shown = shown((alert.context or {}).get("message", ""))
    profile = AlertProfile.objects.filter(user=request.user).first()
    # Times on the page in the user's own timezone, the one their quiet hours follow.
    with timezone.override(profile.timezone if profile else "UTC"):
        return render(request, "alerts/my_alerts.html", {"page": page})


@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, initial=current_preferences(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        set_preferences(
            request.user,
            modes=form.modes(),
            timezone=data["timezone"],
            quiet_from=data["quiet_from"],
            quiet_until=data["quiet_until"],
        )
        messages.success(request, "Your alert preferences are saved.")
        return redirect("alerts:preferences")
    return render(request, "alerts/preferences.html", {"form": form})
