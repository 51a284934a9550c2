from django.urls import path

from . import application, board, candidate
from .reports import registry as reports
from .reports import views as report_views

app_name = "web"

urlpatterns = [
    path("roles/<int:role_pk>/board/", board.board, name="board"),
    path("applications/<int:pk>/board-move/", board.board_move, name="board_move"),
    path("candidates/", candidate.candidate_list, name="candidates"),
    path("candidates/<int:pk>/", candidate.candidate, name="candidate"),
    path("applications/<int:pk>/", application.application, name="application"),
    path("applications/<int:pk>/move/", application.move, name="move"),
    path("applications/<int:pk>/activity/", application.log, name="log_activity"),
    path("applications/<int:pk>/enroll/", application.enroll, name="enroll"),
    path(
        "applications/<int:pk>/enrollments/<int:enrollment_pk>/replied/",
        application.mark_replied,
        name="mark_replied",
    ),
    path("reports/", report_views.index, name="reports"),
    *(
        path(f"reports/{spec.slug}/", report_views.report_page(spec), name=f"report_{spec.slug}")
        for spec in reports.REPORTS
    ),
]
