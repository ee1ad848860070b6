"""What a school may switch off in academics (classpoint/flags.py): attendance (registers, the
attendance officer's pages, truancy interventions and their letters, recovery sessions) and results
(score entry, set-up, report cards, publishing, the families' results links). Off, their pages, API
and links answer 404 for the school. The timetable stays: other parts of the school lean on it."""

from classpoint.flags import Feature

from .results.notices import link_ids

ATTENDANCE = "attendance"
RESULTS = "results"


def _results_link_school(url_name, kwargs):
    """The school a family's results link belongs to (the signed token names it)."""
    ids = link_ids(kwargs.get("token", ""))
    return ids[0] if ids else None


FEATURES = [
    Feature(
        key=ATTENDANCE,
        label="Attendance",
        description="Teachers take registers; the attendance officer follows absences up with interventions, "
        "letters and recovery sessions.",
        url_names=(
            "attendance-*",
            "intervention-*",
            "recovery-*",
            "api-attendance-*",
            "api-intervention-*",
            "api-interventions*",
            "api-recovery-session*",
            "student-attendance",
        ),
    ),
    Feature(
        key=RESULTS,
        label="Results",
        description="Teachers enter scores; the school publishes report cards and sends families their results links.",
        url_names=("results-*", "api-results-*", "result-link", "result-link-pdf", "student-results"),
        school_of=_results_link_school,
    ),
]
