"""The candidate's offer page, opened by their private link: no account, a phone's width, no
request to any other site. It shows their offer and nothing else of ours (no band, approval,
competing offer or comment); they read the letter, sign it or decline it.

Every answer the link cannot give (altered, withdrawn, expired, answered, replaced) is a page
saying what happened and whom to write to. Each response forbids caching and indexing and
sends no referrer to another site, so the address stays between the candidate and us.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from candidates.models import Company

from ..answers import (
    CONSENT_TEXT,
    REFUSAL_WORDS,
    AnswerRefused,
    DeclineAnswer,
    Visitor,
    decline,
    record_view,
    sign_offer,
)
from ..letters import letter_context, letter_filename
from ..links import Refusal, current_letter, deadline_text, link_from_token, refusal
from ..models import Offer, OfferLink
from ..page_forms import CandidateDeclineForm, CandidateSignForm
from .pages import load_components

# What the page may load: its own style sheet and script, nothing inline, nothing elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def candidate_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "no-store"
        # No other site ever sees the address; same-origin keeps the Origin header that the
        # CSRF check of the sign and decline forms needs (no-referrer makes it "null").
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapped


def _visitor(request: HttpRequest) -> Visitor:
    return Visitor(
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def time_left(seconds: int) -> str:
    """ "2 days, 4 hours, 10 minutes left": the countdown as the page first shows it (its
    script then keeps it current)."""
    if seconds <= 0:
        return "The deadline has passed."
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if days or hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return ", ".join(parts) + " left"


def _contact(offer: Offer | None) -> dict[str, str]:
    person = None if offer is None else (offer.sent_by or offer.drafted_by)
    if person is None:
        return {}
    return {"name": person.get_full_name() or person.get_username(), "email": person.email}


STATUS_FOR = {
    Refusal.TAMPERED: 404,
    Refusal.ACCEPTED: 200,
    Refusal.DECLINED: 200,
}


def _refused(request: HttpRequest, link: OfferLink | None, why: Refusal) -> HttpResponse:
    offer = link.offer if link is not None else None
    ours = Company.objects.filter(kind=Company.Kind.OURS).order_by("pk").first()
    context: dict[str, object] = {
        "company": ours.name if ours else "",
        "why": why.value,
        # Signed is not a refusal to whoever signed it: the page says so, with the date.
        "headline": "This offer is signed." if why == Refusal.ACCEPTED else REFUSAL_WORDS[why],
        "offer": offer,
        "contact": _contact(offer),
    }
    if offer is not None:
        role = offer.application.role
        context["role"] = f"{role.title}, {role.city}"
        context["deadline"] = deadline_text(offer)
        context["closed_at"] = offer.closed_at
        context["revoked_at"] = link.revoked_at if link is not None else None
    return render(
        request, "offers/candidate/refused.html", context, status=STATUS_FOR.get(why, 410)
    )


def opened_link(
    view: Callable[[HttpRequest, OfferLink, str], HttpResponse],
) -> Callable[[HttpRequest, str], HttpResponse]:
    """The view runs with the link when it opens its offer; otherwise the page says why."""

    @wraps(view)
    def wrapped(request: HttpRequest, token: str) -> HttpResponse:
        link = link_from_token(token)
        refused = refusal(link)
        if refused is not None or link is None:
            return _refused(request, link, refused or Refusal.TAMPERED)
        return view(request, link, token)

    return wrapped


def _page(
    request: HttpRequest,
    link: OfferLink,
    *,
    sign_form: CandidateSignForm | None = None,
    decline_form: CandidateDeclineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    offer = link.offer
    load_components(offer)
    letter = current_letter(offer)
    context = letter_context(offer)
    role = offer.application.role
    context.update(
        {
            "token": request.resolver_match.kwargs["token"] if request.resolver_match else "",
            "letter": letter,
            "deadline": deadline_text(offer),
            "deadline_iso": offer.expires_at.isoformat(),
            "time_left": time_left(int((offer.expires_at - timezone.now()).total_seconds())),
            "contact": _contact(offer),
            "role_text": f"{role.title}, {role.city}",
            "consent_text": CONSENT_TEXT,
            "sign_form": sign_form or CandidateSignForm(initial={"letter_sha256": letter.sha256}),
            "decline_form": decline_form or CandidateDeclineForm(),
            "decline_open": decline_form is not None,
        }
    )
    return render(request, "offers/candidate/offer.html", context, status=status)


@require_GET
@candidate_headers
@opened_link
def page(request: HttpRequest, link: OfferLink, token: str) -> HttpResponse:
    record_view(link, _visitor(request))
    return _page(request, link)


@require_GET
@candidate_headers
@opened_link
def letter(request: HttpRequest, link: OfferLink, token: str) -> HttpResponse:
    frozen = current_letter(link.offer)
    response = HttpResponse(bytes(frozen.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=False, filename=letter_filename(link.offer))
        or "inline"
    )
    return response


def _form_errors(form: Any, refused: AnswerRefused) -> bool:
    """Puts a refusal's field errors on the form; False when it names no field of it."""
    errors = getattr(refused, "error_dict", None)
    if not errors:
        return False
    for field, messages in errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
    return True


def _not_recorded(
    request: HttpRequest,
    link: OfferLink,
    error: AnswerRefused,
    *,
    sign_form: CandidateSignForm | None = None,
    decline_form: CandidateDeclineForm | None = None,
) -> HttpResponse:
    """An answer refused: the offer's page if the offer moved on meanwhile (a rescind, another
    tab's signature), else the form again with the refusal on its fields."""
    link.refresh_from_db()
    link.offer.refresh_from_db()
    now_refused = refusal(link)
    if now_refused is not None:
        return _refused(request, link, now_refused)
    form = sign_form or decline_form
    if form is not None and not _form_errors(form, error):
        form.add_error(None, " ".join(error.messages))
    return _page(request, link, sign_form=sign_form, decline_form=decline_form, status=400)


@require_POST
@candidate_headers
@opened_link
def sign(request: HttpRequest, link: OfferLink, token: str) -> HttpResponse:
    form = CandidateSignForm(request.POST)
    if not form.is_valid():
        return _page(request, link, sign_form=form, status=400)
    try:
        sign_offer(
            link,
            typed_name=form.cleaned_data["typed_name"],
            consented=form.cleaned_data["consent"],
            letter_sha256=form.cleaned_data["letter_sha256"],
            visitor=_visitor(request),
        )
    except AnswerRefused as error:
        return _not_recorded(request, link, error, sign_form=form)
    return redirect("offers:for_candidate", token)


@require_POST
@candidate_headers
@opened_link
def decline_offer(request: HttpRequest, link: OfferLink, token: str) -> HttpResponse:
    form = CandidateDeclineForm(request.POST)
    if not form.is_valid():
        return _page(request, link, decline_form=form, status=400)
    try:
        decline(
            link.offer, DeclineAnswer.of(form.cleaned_data), link=link, visitor=_visitor(request)
        )
    except AnswerRefused as error:
        return _not_recorded(request, link, error, decline_form=form)
    return redirect("offers:for_candidate", token)
