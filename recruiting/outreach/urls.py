from django.urls import path

from . import views

app_name = "outreach"

urlpatterns = [
    path("opt-out/<str:token>/", views.opt_out, name="opt_out"),
    path("applications/<int:pk>/enroll/", views.enroll, name="enroll"),
    path(
        "applications/<int:pk>/enrollments/<int:enrollment_pk>/replied/",
        views.mark_replied,
        name="mark_replied",
    ),
]
