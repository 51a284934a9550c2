from django.contrib import admin
from django.urls import include, path

from recruiting.web.home import home

admin.site.site_header = "Closer"
admin.site.site_title = "Closer"
admin.site.index_title = "Candidates, pipelines and offers"
admin.site.empty_value_display = "—"
admin.site.enable_nav_sidebar = False  # the candidate list needs the width
admin.site.site_url = None  # there is no separate public site to "view"

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),  # sign in and out
    path("admin/", admin.site.urls),
    path("alerts/", include("recruiting.alerts.urls")),
    path("outreach/", include("recruiting.outreach.urls")),
    path("", include("recruiting.web.urls")),
    path("", include("offers.urls")),
]
