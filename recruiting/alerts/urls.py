from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.my_alerts, name="mine"),
    path("preferences/", views.preferences, name="preferences"),
]
