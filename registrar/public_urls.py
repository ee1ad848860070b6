"""The public application pages, mounted at /s/<slug>/apply/ (see classpoint/urls.py). On a school's
own hostname `/apply/` reaches them too: SchoolHostMiddleware serves that host's paths as
/s/<slug>/... ."""

from django.urls import path

from . import public_views

urlpatterns = [
    path("", public_views.apply, name="application-form"),
    path("received/<str:token>/", public_views.application_received, name="application-received"),
    path("status/<str:token>/", public_views.application_status, name="application-status"),
    path("more/<str:token>/", public_views.application_more, name="application-more"),
]
