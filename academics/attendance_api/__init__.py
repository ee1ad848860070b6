"""API: attendance under /api/v1/schools/<slug>/attendance/: registers and their marks, a pupil's
history, correcting one mark, and the school's absence codes.

A register exists once it is submitted: `POST attendance/registers/` takes it (201) or, for a
register already taken, edits it (200), as `PUT …/<id>/marks/` does. A teacher may take any class's
register (a cover lesson is still theirs to take). Input the service refuses is answered with its
code and `fields`, each pupil's row named `marks.<student_id>`; nothing is saved. Ids of another
school (a register, a mark, a pupil, a class group, a lesson) are a 404, as for ids that do not exist.
Every read of a pupil's history is in the pupil's access log.

One module per concern; the views are exported from here, where academics/api_urls.py finds them,
and so are the nested objects the report, recovery and intervention APIs reuse.
"""

from .codes import CodeListApi
from .common import ClassGroupRef, NullableLesson, NullableStaff, StaffRef, StudentRef, nullable_object
from .corrections import MarkCorrectApi
from .history import StudentHistoryApi
from .registers import RegisterDetailApi, RegisterListApi, RegisterMarksApi

__all__ = [
    "ClassGroupRef",
    "CodeListApi",
    "MarkCorrectApi",
    "NullableLesson",
    "NullableStaff",
    "RegisterDetailApi",
    "RegisterListApi",
    "RegisterMarksApi",
    "StaffRef",
    "StudentHistoryApi",
    "StudentRef",
    "nullable_object",
]
