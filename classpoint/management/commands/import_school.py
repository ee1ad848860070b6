from django.core.management.base import BaseCommand, CommandError

from classpoint.school_archive import SchoolArchiveError
from classpoint.school_archive_import import import_school


class Command(BaseCommand):
    help = (
        "Load a school's archive (from export_school) into this deployment, in one transaction. Refused if "
        "the slug is taken or the migration state differs. --slug loads it under another slug (a copy)."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The archive written by export_school.")
        parser.add_argument("--slug", help="Load the school under this slug instead of its own.")

    def handle(self, *args, archive, slug, **options):
        try:
            summary = import_school(archive=archive, slug=slug)
        except SchoolArchiveError as exc:
            raise CommandError(str(exc)) from None
        kind = "a copy" if summary["copy"] else "the school"
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {kind} as {summary['school']} (id {summary['school_id']}): {summary['rows']} rows of "
                f"{summary['models']} tables in {summary['seconds']} s."
            )
        )
        skip = {"school", "school_id", "copy", "rows", "models", "seconds"}
        for key, value in summary.items():
            if key not in skip:
                self.stdout.write(f"  {key}: {value}")
