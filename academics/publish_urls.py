"""Publishing results under /s/<slug>/results/publish/."""

from django.urls import path

from . import publish_views as views

urlpatterns = [path("", views.results_publish, name="results-publish")]
