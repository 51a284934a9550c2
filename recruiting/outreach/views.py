"""Outreach's own page: the opt-out link in every email. (The steps taken from the
application page, enroll and mark replied, are the web layer's: recruiting/web/application.py.)

The opt-out page needs no login (the candidate has no account); the signed token is the
authority, and a bad one is a 404. A POST needs no CSRF token: mail clients' one-click
unsubscribe (RFC 8058) posts `List-Unsubscribe=One-Click` to the link with no cookie, and the
secret in the link, not a cookie, is what proves the candidate asked.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services


@csrf_exempt
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    enrollment = services.enrollment_for_token(token)
    if enrollment is None:  # tampered, or signed for another purpose: nothing is done
        return render(request, "outreach/bad_opt_out_link.html", status=404)
    if request.method == "POST":
        services.opt_out(enrollment)
        return render(request, "outreach/opted_out.html", {"enrollment": enrollment})
    if enrollment.candidate.do_not_contact:
        # Opted out already (or marked do-not-contact): the link says so rather than ask again.
        return render(request, "outreach/opted_out.html", {"enrollment": enrollment})
    return render(request, "outreach/opt_out.html", {"enrollment": enrollment})
