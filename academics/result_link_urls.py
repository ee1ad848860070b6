"""The guardian's results page under /results/ (public: the signed token is the key)."""

from django.urls import path

from . import result_link_views as views

urlpatterns = [
    path("<str:token>/", views.result_link, name="result-link"),
    path("<str:token>/<int:term_id>/pdf/", views.result_link_pdf, name="result-link-pdf"),
]
