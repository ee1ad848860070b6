"""django-q2 entry points: take ids, reload, call the pipeline."""

from classpoint.scoping import for_school, school_of

from .imports import pipeline
from .models import ImportJob


def run_import(job_id):
    school_id = school_of(ImportJob, job_id)
    if school_id is None:
        return None
    with for_school(school_id):
        job = pipeline.run(job_id)
    return None if job is None else {"status": job.status, "processed": job.processed_rows}
