from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from recruiting.web.home import home

admin.site.site_header = "Closer"
admin.site.site_title = "Closer"
admin.site.index_title = "Candidates, pipelines and offers"
admin.site.empty_value_display = "—"
admin.site.enable_nav_sidebar = False  # the candidate list needs the width
admin.site.site_url = None  # there is no separate public site to "view"
# One sign-in for the workspace and the admin: allauth's (its throttling included). allauth
# documents it this way: the default AdminSite's login view wrapped in place. The stubs type
# `login` as a method, so assigning it needs the ignore; a subclassed site would replace the
# `admin.site` every app registers with.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("allauth.urls")),  # sign in and out, password reset
    path("admin/", admin.site.urls),
    path("alerts/", include("recruiting.alerts.urls")),
    path("outreach/", include("recruiting.outreach.urls")),
    path("", include("recruiting.web.urls")),
    path("", include("offers.urls")),
]
