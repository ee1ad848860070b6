"""django-q2 entry points: take ids, reload, call the pipeline."""

from .imports import pipeline


def run_import(job_id):
    job = pipeline.run(job_id)
    return None if job is None else {"status": job.status, "processed": job.processed_rows}
