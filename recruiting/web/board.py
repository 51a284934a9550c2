"""A role's pipeline as a board: a column per stage with a page of cards each and exact counts,
filters (owner, tag, what needs attention), and a card dragged to another column moved through
the pipeline service (its refusal shown on the card); without JavaScript, a form per card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from candidates.models import Candidate, Tag
from offers.access import can_see_compensation
from offers.models import CompetingOffer, Offer
from recruiting.lib.types import AuthenticatedRequest
from recruiting.outreach.models import Enrollment
from recruiting.pipeline.access import sees_every_application, visible_applications
from recruiting.pipeline.models import CLOSING_KINDS, Application, Role, Stage
from recruiting.pipeline.selectors import follow_ups_due_applications, stale_applications
from recruiting.pipeline.services import move_stage

PAGE = 25  # cards a column shows at once; "more" shows the next page of that column
ATTENTION = {
    "any": "Needs attention (any of these)",
    "stale": "Over the stage's time limit",
    "follow_up": "Follow-up due",
    "ahead": "A competing offer ahead of ours",
}


def load_role(user: User, pk: int) -> Role:
    """A role the user may see the pipeline of: anyone who sees every application, or the
    role's hiring manager; anyone else gets a 404."""
    role = get_object_or_404(Role.objects.select_related("hiring_manager"), pk=pk)
    if not user.is_active:
        raise Http404
    if not sees_every_application(user) and role.hiring_manager_id != user.pk:
        raise Http404("Only recruiters and the role's hiring manager see its pipeline.")
    return role


@dataclass(frozen=True)
class Filters:
    owner: int | None = None
    tag: int | None = None
    attention: str = ""

    @classmethod
    def read(cls, request: AuthenticatedRequest, *, amounts: bool) -> tuple[Filters, list[str]]:
        """The filters in the address; a value that names nothing is dropped, and said."""
        problems = []

        def number(name: str) -> int | None:
            value = request.GET.get(name, "")
            if not value:
                return None
            if value.isdigit() and int(value) < 2**63:
                return int(value)
            problems.append(f"The {name} “{value}” is not one of the choices: not filtered by it.")
            return None

        attention = request.GET.get("attention", "")
        if attention and (attention not in ATTENTION or (attention == "ahead" and not amounts)):
            problems.append(f"“{attention}” is not a kind of attention: not filtered by it.")
            attention = ""
        return cls(number("owner"), number("tag"), attention), problems

    def apply(
        self, applications: QuerySet[Application], role: Role, now: datetime, *, amounts: bool
    ) -> QuerySet[Application]:
        if self.owner is not None:
            applications = applications.filter(candidate__owner_id=self.owner)
        if self.tag is not None:
            through = Candidate.tags.through
            applications = applications.filter(
                Exists(
                    through.objects.filter(candidate_id=OuterRef("candidate_id"), tag_id=self.tag)
                )
            )
        if not self.attention:
            return applications
        stale = Q(pk__in=stale_applications(now).filter(role=role).values("pk"))
        follow_up = Q(pk__in=follow_ups_due_applications(now).filter(role=role).values("pk"))
        ahead = Q(Exists(CompetingOffer.objects.filter(application=OuterRef("pk"), ahead=True)))
        which = {
            "stale": stale,
            "follow_up": follow_up,
            "ahead": ahead,
            "any": stale | follow_up | (ahead if amounts else Q(pk__in=[])),
        }[self.attention]
        return applications.filter(which)

    def query(self, **changes: Any) -> str:
        """The address's filters, with `changes` (for links that keep them)."""
        values = {"owner": self.owner, "tag": self.tag, "attention": self.attention, **changes}
        return "&".join(f"{k}={v}" for k, v in values.items() if v not in (None, ""))


@dataclass
class Card:
    """A card of the board: the application, and what the card says of it."""

    application: Application
    days_in_stage: int
    outreach: str = ""  # the latest enrollment's status, in words
    outreach_sequence: str = ""
    offer: str = ""  # the latest offer's status, in words
    offer_version: int | None = None
    ahead_of_us: str = ""  # the competitor ahead (with amounts)
    html: SafeString | str = ""


@dataclass
class Column:
    stage: Stage
    count: int
    cards: list[Card]
    page: int

    @property
    def more(self) -> bool:
        return self.count > self.page * PAGE

    @property
    def pages(self) -> int:
        return max(-(-self.count // PAGE), 1)

    @property
    def closing(self) -> bool:
        return self.stage.kind in CLOSING_KINDS


def _cards(
    applications: QuerySet[Application],
    pages: dict[int, int],
    *,
    amounts: bool,
    counts: dict[int, int] | None = None,
) -> list[Card]:
    """The page of each column's cards, oldest in its stage first: which ones, in one windowed
    query over the role's applications (ids, places and each column's total, which `counts`
    receives), then those cards with their latest outreach and offer, and (with amounts) the
    competitor ahead of us, in a second query over them alone (the per-card subqueries never
    run for the thousands of cards not shown, and the filters once, not again to count)."""
    ranked = applications.annotate(
        place=Window(
            RowNumber(), partition_by=[F("stage_id")], order_by=[F("stage_entered_at"), F("pk")]
        ),
        column_total=Window(Count("pk"), partition_by=[F("stage_id")]),
    )
    # Each column's first card carries its total, whatever page the column is on.
    shown = Q(place=1)
    for stage_id, page in pages.items():
        shown |= Q(stage_id=stage_id, place__gt=(page - 1) * PAGE, place__lte=page * PAGE)
    places = {}
    for pk, stage_id, place, total in ranked.filter(shown).values_list(
        "pk", "stage_id", "place", "column_total"
    ):
        if counts is not None:
            counts[stage_id] = total
        page = pages.get(stage_id, 1)
        if (page - 1) * PAGE < place <= page * PAGE:
            places[pk] = place
    latest_enrollment = Enrollment.objects.filter(application=OuterRef("pk")).order_by(
        "-enrolled_at", "-pk"
    )
    latest_offer = Offer.objects.filter(application=OuterRef("pk")).order_by("-version")
    cards = Application.objects.filter(pk__in=list(places)).annotate(
        outreach=Subquery(latest_enrollment.values("status")[:1]),
        outreach_sequence=Subquery(latest_enrollment.values("sequence__name")[:1]),
        offer_status=Subquery(latest_offer.values("status")[:1]),
        offer_version=Subquery(latest_offer.values("version")[:1]),
    )
    if amounts:
        ahead = CompetingOffer.objects.filter(application=OuterRef("pk"), ahead=True).order_by(
            "deadline"
        )
        cards = cards.annotate(ahead_of_us=Subquery(ahead.values("competitor__name")[:1]))
    rows = sorted(
        cards.select_related("candidate__current_company", "candidate__owner", "stage"),
        key=lambda row: (row.stage.position, places[row.pk]),
    )
    now = timezone.now()
    made: list[Card] = []
    for row in rows:
        # Annotated above: the latest enrollment's and offer's, and the competitor ahead.
        outreach: str | None = getattr(row, "outreach", None)
        offer_status: str | None = getattr(row, "offer_status", None)
        made.append(
            Card(
                row,
                (now - row.stage_entered_at).days,
                Enrollment.Status(outreach).label.lower() if outreach else "",
                getattr(row, "outreach_sequence", None) or "",
                Offer.Status(offer_status).label.lower() if offer_status else "",
                getattr(row, "offer_version", None),
                getattr(row, "ahead_of_us", None) or "",
            )
        )
    return made


# --- A card, as HTML ---------------------------------------------------------------------------
# Written with format_html rather than a template: a board shows up to 200 cards, and Django's
# template engine took 190 ms of a 240 ms page for them at 5,000 applications.


@dataclass(frozen=True)
class CardContext:
    """What every card of a page shares."""

    amounts: bool
    may_move: bool
    options: SafeString  # the <option>s of the stages a card can move to
    filters_query: str
    csrf_input: SafeString


def card_context(
    request: AuthenticatedRequest, role: Role, *, amounts: bool, may_move: bool, filters_query: str
) -> CardContext:
    movable = role.stages.exclude(kind__in=CLOSING_KINDS).order_by("position")
    options = format_html_join(
        "", '<option value="{}">{}</option>', ((s.pk, s.name) for s in movable)
    )
    return CardContext(
        amounts,
        may_move,
        options,
        filters_query,
        format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
    )


def render_card(card: Card, shared: CardContext, error: str = "") -> SafeString:
    application = card.application
    person = application.candidate
    owner = person.owner
    limit = application.stage.time_limit_days
    days = card.days_in_stage
    if limit and days > limit:
        clock = format_html(
            '<span class="badge text-bg-warning" title="over the stage\'s {}-day limit">{}d</span>',
            limit,
            days,
        )
    else:
        clock = format_html(
            '<span class="text-body-secondary" title="days in this stage{}">{}d{}</span>',
            f", of {limit}" if limit else "",
            days,
            f"/{limit}" if limit else "",
        )
    badges = []
    if card.outreach:
        badges.append(
            format_html(
                '<span class="badge text-bg-light border outreach" title="{}">outreach {}</span>',
                card.outreach_sequence,
                card.outreach,
            )
        )
    if card.offer:
        badges.append(
            format_html(
                '<a class="badge text-bg-light border offer" href="{}">offer v{} {}</a>',
                reverse("web:application", args=[application.pk]),
                card.offer_version,
                card.offer,
            )
        )
    if shared.amounts and card.ahead_of_us:
        badges.append(
            format_html(
                '<span class="badge text-bg-danger ahead">{} ahead</span>', card.ahead_of_us
            )
        )
    movable = shared.may_move and not application.is_closed
    move_url = reverse("web:board_move", args=[application.pk])
    form = ""
    if movable:
        form = format_html(
            '<form method="post" action="{}" class="d-flex gap-1 mt-1 move-fallback">{}'
            '<input type="hidden" name="filters" value="{}">'
            '<label class="visually-hidden" for="move-{}">Move {} to</label>'
            '<select name="stage" id="move-{}" class="form-select form-select-sm">'
            '<option value="">Move to…</option>{}</select>'
            '<button type="submit" class="btn btn-sm btn-outline-secondary">Move</button></form>',
            move_url,
            shared.csrf_input,
            shared.filters_query,
            application.pk,
            person.name,
            application.pk,
            shared.options,
        )
    return format_html(
        '<article class="card board-card mb-2{}" id="card-{}" data-move-url="{}" data-stage="{}"'
        "{}>"
        '<div class="card-body p-2 small">'
        '<div class="d-flex justify-content-between gap-1">'
        '<a class="fw-semibold text-decoration-none" href="{}">{}</a>{}</div>'
        "{}"
        '<div class="text-body-secondary">{}</div>'
        '<div class="d-flex flex-wrap gap-1 mt-1">{}</div>'
        "{}{}</div></article>",
        " border-danger" if error else "",
        application.pk,
        move_url,
        application.stage_id,
        mark_safe(' draggable="true"') if movable else "",
        reverse("web:candidate", args=[person.pk]),
        person.name,
        clock,
        format_html('<div class="text-body-secondary">{}</div>', person.current_company)
        if person.current_company
        else "",
        (owner.get_full_name() or owner.get_username()) if owner else "No owner",
        mark_safe("".join(badges)),
        format_html('<div class="text-danger mt-1 move-error" role="alert">{}</div>', error)
        if error
        else "",
        form,
    )


def _page(request: AuthenticatedRequest, stage: Stage) -> int:
    value = request.GET.get(f"page_{stage.pk}", "1")
    return max(int(value), 1) if value.isdigit() and len(value) < 6 else 1


@login_required
@require_GET
def board(request: AuthenticatedRequest, role_pk: int) -> HttpResponse:
    user, now = request.user, timezone.now()
    role = load_role(user, role_pk)
    amounts = can_see_compensation(user)
    filters, problems = Filters.read(request, amounts=amounts)
    for problem in problems:
        messages.warning(request, problem)
    stages = list(role.stages.order_by("position"))
    applications = filters.apply(
        visible_applications(user).filter(role=role), role, now, amounts=amounts
    )
    counts = dict(
        applications.order_by()
        .values_list("stage_id")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "n")
    )
    pages = {stage.pk: _page(request, stage) for stage in stages}
    by_stage: dict[int, list[Card]] = {stage.pk: [] for stage in stages}
    may_move = user.has_perm("pipeline.change_application") and role.status == Role.Status.OPEN
    shared = card_context(
        request, role, amounts=amounts, may_move=may_move, filters_query=filters.query()
    )
    for card in _cards(applications, pages, amounts=amounts, counts=counts):
        card.html = render_card(card, shared)
        by_stage[card.application.stage_id].append(card)
    columns = [
        Column(stage, counts.get(stage.pk, 0), by_stage[stage.pk], pages[stage.pk])
        for stage in stages
    ]
    context = {
        "role": role,
        "columns": columns,
        "filters": filters,
        "amounts": amounts,
        "may_move": may_move,
        "owners": _owners(role),
        "tags": Tag.objects.order_by("name"),
        "attention_choices": [
            (key, label) for key, label in ATTENTION.items() if amounts or key != "ahead"
        ],
        "total": sum(counts.values()),
    }
    return render(request, "web/board.html", context)


def _owners(role: Role) -> QuerySet[Any]:
    """The people who may own candidates, to filter by: the active staff, as the admin's
    candidate list offers (finding the owners of a role's candidates read every one of them:
    20 ms at 5,000 applications)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .order_by("first_name", "last_name", "username")
    )


@login_required
@require_POST
def board_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Moves a card to a stage: the card itself (200, or 409 with the refusal on it) for the
    board's script; a redirect back to the board otherwise."""
    user = request.user
    application = get_object_or_404(
        visible_applications(user).select_related("candidate", "role", "stage"), pk=pk
    )
    if not user.has_perm("pipeline.change_application"):
        raise Http404("You may see this application but not move it.")
    chosen = request.POST.get("stage", "")
    stage = (
        Stage.objects.filter(pk=int(chosen)).first()
        if chosen.isdigit() and len(chosen) < 18
        else None
    )
    error = ""
    if stage is None:
        error = "Choose a stage of this role to move it to."
    else:
        try:
            application = move_stage(application, stage, by=user)
        except ValidationError as refused:
            error = " ".join(refused.messages)
    back = reverse("web:board", args=[application.role_id]) + (
        f"?{request.POST['filters']}" if request.POST.get("filters") else ""
    )
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, f"{application.candidate.name}: {error}")
        else:
            messages.success(
                request, f"{application.candidate.name} moved to {application.stage.name}."
            )
        return redirect(back)
    card = _cards(
        visible_applications(user).filter(pk=application.pk),
        {application.stage_id: 1},
        amounts=can_see_compensation(user),
    )[0]
    shared = card_context(
        request,
        application.role,
        amounts=can_see_compensation(user),
        may_move=True,
        filters_query=request.POST.get("filters", ""),
    )
    response = HttpResponse(render_card(card, shared, error))
    if error:
        response.status_code = 409
    return response
