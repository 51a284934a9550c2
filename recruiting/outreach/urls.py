from django.urls import path

from . import views

app_name = "outreach"

urlpatterns = [
    path("opt-out/<str:token>/", views.opt_out, name="opt_out"),
]
