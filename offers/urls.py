from django.urls import path

from .views import approvals, candidate, competing, drafting, pages

app_name = "offers"

urlpatterns = [
    # Drafting (offers/views/drafting.py)
    path("applications/<int:application_pk>/offers/new/", drafting.draft, name="draft"),
    path("offers/<int:pk>/edit/", drafting.edit, name="edit"),
    path("offers/preview/", drafting.preview, name="preview"),
    # The offer's pages and steps (offers/views/pages.py)
    path("offers/<int:pk>/", pages.detail, name="detail"),
    path("offers/<int:pk>/compare/<int:other_pk>/", pages.compare, name="compare"),
    path("offers/<int:pk>/step/<str:step>/", pages.step, name="step"),
    path("offers/<int:pk>/letter.pdf", pages.letter, name="letter"),
    path("offers/<int:pk>/signed.pdf", pages.signed_letter, name="signed_letter"),
    # Approvals inbox (offers/views/approvals.py)
    path("approvals/", approvals.inbox, name="approvals"),
    path("approvals/offers/<int:pk>/", approvals.decide, name="decide"),
    path("approvals/delegate/", approvals.delegate, name="delegate"),
    path("approvals/delegations/<int:pk>/end/", approvals.end_delegating, name="end_delegation"),
    # Competing offers and counter-offers (offers/views/competing.py)
    path(
        "applications/<int:application_pk>/competing/new/",
        competing.record,
        name="competing_new",
    ),
    path("competing/<int:pk>/edit/", competing.edit, name="competing_edit"),
    path("offers/<int:pk>/counter/", competing.counter, name="counter"),
    # The candidate's page, opened by their private link (offers/views/candidate.py)
    path("offer/<str:token>/", candidate.page, name="for_candidate"),
    path("offer/<str:token>/letter.pdf", candidate.letter, name="letter_for_candidate"),
    path("offer/<str:token>/sign/", candidate.sign, name="sign"),
    path("offer/<str:token>/decline/", candidate.decline_offer, name="decline_by_candidate"),
]
