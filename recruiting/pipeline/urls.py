from django.urls import path

from . import views

app_name = "pipeline"

urlpatterns = [
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/move/", views.move, name="move"),
    path("applications/<int:pk>/activity/", views.log, name="log_activity"),
]
