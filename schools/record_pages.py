"""What every tab of a pupil's record shares, whichever app serves it: finding the pupil in the
request's school (another school's id is a 404, as for a pupil that does not exist) and writing the
look into the pupil's access log before anything of the record is read. Every tab view starts here,
so no tab can show a pupil without the read being kept.

The page itself extends templates/schools/record/base.html, which draws the pupil's header and the
tabs the member may open (classpoint/record_tabs.py) from `student` and `tab` in the context."""

from django.http import Http404

from classpoint.audit import record_access
from classpoint.bounds import MAX_ID

from . import selectors


def open_student(request, student_id, *, record=True):
    """The pupil `student_id` of the request's school, with the look recorded; Http404 otherwise.
    `record=False` for a form's POST, whose change the service audits: the page shown next (the tab
    again, after a redirect or with the form's errors) records its own look."""
    student = (
        selectors.student_of_school(school=request.school, student_id=student_id) if student_id <= MAX_ID else None
    )
    if student is None:
        raise Http404("No such student")
    if record:
        # Recorded first, so the access log shown includes this visit.
        record_access(school=request.school, actor=request.user, target=student, via="workspace")
    return student


def open_guardian(request, guardian_id, *, record=True):
    """The guardian `guardian_id` of the request's school, with their children; Http404 otherwise.
    A guardian's page shows their children and how to reach the family: the look is kept as for a
    pupil's record."""
    guardian = (
        selectors.guardian_with_children(school=request.school, guardian_id=guardian_id)
        if guardian_id <= MAX_ID
        else None
    )
    if guardian is None:
        raise Http404("No such guardian")
    if record:
        record_access(school=request.school, actor=request.user, target=guardian, via="workspace")
    return guardian
