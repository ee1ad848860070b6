"""The People area under /s/<slug>/people/: members, invitations, roles and API tokens (school admins,
`school.manage`), and the page an invitation's link opens (anyone holding a valid link)."""

from django.urls import path

from . import people_accept_views, people_role_views, people_token_views, people_views

urlpatterns = [
    path("", people_views.members, name="people"),
    path("invite/", people_views.invite, name="people-invite"),
    path("invite/<str:token>/", people_accept_views.invite_accept, name="people-invite-accept"),
    path("invites/<int:invite_id>/revoke/", people_views.invite_revoke, name="people-invite-revoke"),
    path("invites/<int:invite_id>/resend/", people_views.invite_resend, name="people-invite-resend"),
    path("members/<int:membership_id>/", people_views.member, name="people-member"),
    path("members/<int:membership_id>/suspend/", people_views.member_suspend, name="people-member-suspend"),
    path("members/<int:membership_id>/reactivate/", people_views.member_reactivate, name="people-member-reactivate"),
    path("members/<int:membership_id>/remove/", people_views.member_remove, name="people-member-remove"),
    path("roles/", people_role_views.roles, name="people-roles"),
    path("roles/<int:role_id>/", people_role_views.role_edit, name="people-role"),
    path("roles/<int:role_id>/copy/", people_role_views.role_copy, name="people-role-copy"),
    path("roles/<int:role_id>/delete/", people_role_views.role_delete, name="people-role-delete"),
    path("tokens/", people_token_views.tokens, name="people-tokens"),
    path("tokens/<int:token_id>/revoke/", people_token_views.token_revoke, name="people-token-revoke"),
]
