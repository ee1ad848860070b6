"""Outbox consumers of the schools app. Idempotent: a job runs once, whatever the deliveries."""

from django.conf import settings

from classpoint.outbox import handles

from .models import ImportJob


@handles("import.requested")
def start_import(event):
    job = (
        ImportJob.objects.for_school(event.school_id)
        .filter(pk=event.payload["import_job_id"], status=ImportJob.Status.PENDING)
        .first()
    )
    if job is None:  # already running or done: a repeated delivery
        return
    # The import itself runs as its own task, so a long file never holds up the outbox. The task
    # claims the job (pending -> running) before doing anything, so a redelivery is a no-op.
    from django_q.tasks import async_task

    async_task(
        "schools.tasks.run_import",
        job.pk,
        task_name=f"import-{job.pk}",
        group="imports",
        timeout=settings.IMPORT_TASK_TIMEOUT,
    )
