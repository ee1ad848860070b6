from django.core.management.base import BaseCommand, CommandError

from classpoint.school_archive import SchoolArchiveError, export_school


class Command(BaseCommand):
    help = (
        "Write one school's archive (.tar.gz): every row it owns, the users its rows name and its stored "
        "files, with a manifest. Load it elsewhere with import_school."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="The school's slug.")
        parser.add_argument("--out", required=True, help="Where to write the archive, e.g. greenfield.tar.gz.")

    def handle(self, *args, school, out, **options):
        try:
            manifest = export_school(slug=school, out=out)
        except SchoolArchiveError as exc:
            raise CommandError(str(exc)) from None
        rows = manifest["rows"]
        files = manifest["files"]
        self.stdout.write(
            f"Exported {school}: {sum(rows.values())} rows of {len(rows)} tables, {manifest['users']['rows']} users, "
            f"{files['count']} files ({files['bytes'] / 1e6:.1f} MB) to {out} ({manifest['bytes'] / 1e6:.1f} MB) "
            f"in {manifest['seconds']} s."
        )
        for label, count in sorted(rows.items()):
            if count:
                self.stdout.write(f"  {label:<40} {count:>8}")
        if files["missing"]:
            self.stdout.write(
                self.style.WARNING(f"{len(files['missing'])} stored files are missing and were not included:")
            )
            for key in files["missing"][:10]:
                self.stdout.write(f"  {key}")
        if manifest["pending_events"]:
            self.stdout.write(
                self.style.WARNING(
                    f"{manifest['pending_events']} outbox events were not handled yet: they will be handled where "
                    "the archive is imported. Drain the outbox first (outbox_worker) for a quiet move."
                )
            )
