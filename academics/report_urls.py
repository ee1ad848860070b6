"""Report cards and broadsheets (report_views.py) under /s/<slug>/results/cards/: the class page
(?term=&class_group=, ?format=pdf for every card of the class), a pupil's card with its PDF and
comment editors, and a class's broadsheet (?format=csv or pdf)."""

from django.urls import path

from . import report_views as views

urlpatterns = [
    path("", views.cards_class, name="results-cards"),
    path("<int:term_id>/<int:student_id>/", views.card_page, name="results-card"),
    path("<int:term_id>/<int:student_id>/pdf/", views.card_pdf_view, name="results-card-pdf"),
    path("<int:term_id>/<int:student_id>/comments/", views.card_comments, name="results-card-comments"),
    path("<int:term_id>/<int:class_group_id>/broadsheet/", views.broadsheet_page, name="results-broadsheet"),
]
