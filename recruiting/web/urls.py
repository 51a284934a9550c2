from django.urls import path

from . import application

app_name = "web"

urlpatterns = [
    path("applications/<int:pk>/", application.application, name="application"),
    path("applications/<int:pk>/move/", application.move, name="move"),
    path("applications/<int:pk>/activity/", application.log, name="log_activity"),
    path("applications/<int:pk>/enroll/", application.enroll, name="enroll"),
    path(
        "applications/<int:pk>/enrollments/<int:enrollment_pk>/replied/",
        application.mark_replied,
        name="mark_replied",
    ),
]
