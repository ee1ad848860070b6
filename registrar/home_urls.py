"""The school home, mounted at /s/<slug>/ ahead of the schools' pages (see classpoint/urls.py): it is
the KPI dashboard, which reads every domain, so the registrar (the top layer) serves it, with a plain
home for members without `dashboard.view`."""

from django.urls import path

from . import dashboard_views

urlpatterns = [
    path("", dashboard_views.school_home, name="school-home"),
]
