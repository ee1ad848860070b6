from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from classpoint.scoping import unscoped
from schools.errors import SchoolsError
from schools.imports import pipeline
from schools.imports.services import import_job_from_upload
from schools.models import ImportJob, School


class Command(BaseCommand):
    help = "Import students (with guardians and current-term classes) from a CSV file and print the outcome."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="school slug")
        parser.add_argument("file", help="path to the CSV file")
        parser.add_argument("--dry-run", action="store_true", help="check only: report problems, change nothing")

    @unscoped(reason="an operator command naming its school by slug")
    def handle(self, *args, school, file, dry_run, **options):
        found = School.objects.filter(slug=school).first()
        if found is None:
            raise CommandError(f"No school with slug {school!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        mode = ImportJob.Mode.DRY_RUN if dry_run else ImportJob.Mode.IMPORT
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            upload.size = path.stat().st_size
            try:
                job = import_job_from_upload(school=found, actor=None, uploaded=upload, mode=mode)
            except SchoolsError as exc:
                raise CommandError(" ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message) from exc
        # Run here rather than wait for the cluster; if the cluster got there first, the claim says so.
        job = pipeline.run(job.pk) or ImportJob.objects.get(pk=job.pk)
        self._report(job)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.message)

    def _report(self, job):
        w = self.stdout.write
        w(f"import {job.pk} ({job.get_mode_display().lower()}) of {job.file_name}: {job.get_status_display().lower()}")
        w(f"  rows:      {job.processed_rows}")
        verb = "would be " if job.mode == ImportJob.Mode.DRY_RUN else ""
        w(f"  created:   {job.created_count} {verb}".rstrip())
        w(f"  updated:   {job.updated_count} {verb}".rstrip())
        w(f"  unchanged: {job.unchanged_count}")
        w(f"  failed:    {job.failed_count}")
        w(f"  warnings:  {job.warning_count}")
        if job.extra_headers:
            w(f"  ignored columns: {', '.join(job.extra_headers)}")
        for problem in job.first_errors[:10]:
            column = f" [{problem['column']}]" if problem["column"] else ""
            w(f"  row {problem['row']}{column}: {problem['message']}")
        if job.errors_key:
            w(f"  full report: {job.errors_key} (in storage)")
