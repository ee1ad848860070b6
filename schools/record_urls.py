"""A student's record (its tabs: profile, guardians, enrolment, access log; the apps above add their
own tabs under the same students/<id>/ prefix, see classpoint/record_tabs.py) and the guardian page,
mounted at /s/<slug>/."""

from django.urls import path

from . import record_enrolment_views as enrolment
from . import record_guardian_views as guardians
from . import record_views

urlpatterns = [
    path("students/<int:student_id>/", record_views.student_detail, name="student-detail"),
    path("students/<int:student_id>/edit/", record_views.student_edit, name="student-edit"),
    path("students/<int:student_id>/access/", record_views.student_access_log, name="student-access-log"),
    path("students/<int:student_id>/guardians/", guardians.student_guardians, name="student-guardians"),
    path("students/<int:student_id>/guardians/add/", guardians.student_guardian_add, name="student-guardian-add"),
    path("students/<int:student_id>/guardians/link/", guardians.student_guardian_link, name="student-guardian-link"),
    path(
        "students/<int:student_id>/guardians/primary/",
        guardians.student_guardian_primary,
        name="student-guardian-primary",
    ),
    path("students/<int:student_id>/enrolment/", enrolment.student_enrolment, name="student-enrolment"),
    path("students/<int:student_id>/enrolment/move/", enrolment.student_move, name="student-move"),
    path("students/<int:student_id>/enrolment/withdraw/", enrolment.student_withdraw_view, name="student-withdraw"),
    path("students/<int:student_id>/enrolment/readmit/", enrolment.student_readmit_view, name="student-readmit"),
    path("guardians/<int:guardian_id>/", guardians.guardian_detail, name="guardian-detail"),
    path("guardians/<int:guardian_id>/edit/", guardians.guardian_edit, name="guardian-edit"),
]
