"""Routes filled in by the messaging views (see classpoint/urls.py for where each list is mounted)."""

from django.urls import path  # noqa: F401

from . import announcement_views, list_views, template_views, views

urlpatterns = [
    path("", views.message_log, name="message-log"),
    path("<int:message_id>/", views.message_detail, name="message-detail"),
    path("<int:message_id>/retry/", views.message_retry_view, name="message-retry"),
    path("guardians/<int:guardian_id>/consent/", views.guardian_consent, name="guardian-consent"),
    path("announcements/", announcement_views.announcements_list, name="announcements"),
    path("announcements/new/", announcement_views.announcement_new, name="announcement-new"),
    path("announcements/<int:announcement_id>/", announcement_views.announcement_detail, name="announcement-detail"),
    path(
        "announcements/<int:announcement_id>/counts/",
        announcement_views.announcement_counts,
        name="announcement-counts",
    ),
    path(
        "announcements/<int:announcement_id>/publish/",
        announcement_views.announcement_publish,
        name="announcement-publish",
    ),
    path("lists/", list_views.lists_index, name="guardian-lists"),
    path("lists/new/", list_views.list_new, name="guardian-list-new"),
    path("lists/<int:list_id>/", list_views.list_detail, name="guardian-list"),
    path("lists/<int:list_id>/members/add/", list_views.list_members_add, name="guardian-list-add"),
    path("lists/<int:list_id>/members/remove/", list_views.list_members_remove, name="guardian-list-remove"),
    path("lists/<int:list_id>/delete/", list_views.list_delete, name="guardian-list-delete"),
    path("templates/", template_views.templates_list, name="message-templates"),
    path("templates/seed/", template_views.templates_seed, name="message-templates-seed"),
    path("templates/<str:template_type>/<str:channel>/", template_views.template_edit, name="message-template"),
    path(
        "templates/<str:template_type>/<str:channel>/preview/",
        template_views.template_preview,
        name="message-template-preview",
    ),
]
