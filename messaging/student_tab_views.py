"""The Messages tab of a pupil's record (what was sent about them, and to their guardians about no
child in particular) and of a guardian's page (everything sent to them), each message linking to
its page in the log. Opening either is recorded like any look at the record."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from classpoint.tenancy import school_view
from schools import selectors as schools_selectors
from schools.record_pages import open_guardian, open_student

from . import selectors

SEND = "messaging.send"
SHOWN = 100


@require_GET
@school_view(perm=SEND)
def student_messages(request, student_id):
    student = open_student(request, student_id)
    links = schools_selectors.student_guardian_links(student=student)
    sent = selectors.messages_of_student(
        school=request.school, student_id=student.pk, guardian_ids=[link.guardian_id for link in links], limit=SHOWN
    )
    context = {"student": student, "tab": "messages", "sent": sent, "shown": SHOWN, "guardian_links": links}
    return render(request, "messaging/student_messages.html", context)


@require_GET
@school_view(perm=SEND)
def guardian_messages(request, guardian_id):
    guardian = open_guardian(request, guardian_id)
    sent = selectors.messages_to_guardian(school=request.school, guardian=guardian, limit=SHOWN)
    context = {"guardian": guardian, "tab": "messages", "sent": sent, "shown": SHOWN}
    return render(request, "messaging/guardian_messages.html", context)
