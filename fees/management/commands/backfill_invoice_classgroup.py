from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from classpoint.audit import audit
from classpoint.scoping import unscoped
from fees.models import Invoice
from schools.models import Enrollment, School


class Command(BaseCommand):
    help = "Fill the class group of invoices that lack it from the student's enrollment in the invoice's term."

    def add_arguments(self, parser):
        parser.add_argument("--school", help="one school's slug (default: all)")
        parser.add_argument("--dry-run", action="store_true")

    @unscoped(reason="an operator's backfill, one school or all of them")
    def handle(self, *args, school=None, dry_run=False, **options):
        schools = School.objects.all()
        if school:
            schools = schools.filter(slug=school)
            if not schools.exists():
                raise CommandError(f"No school with slug {school!r}.")
        for s in schools.order_by("slug"):
            with transaction.atomic():
                missing = Invoice.objects.for_school(s).filter(class_group__isnull=True)
                # The term's active enrollment, else the latest one in that term (a student who left).
                classes = {}
                rows = (
                    Enrollment.objects.for_school(s)
                    .filter(student_id__in=missing.values("student_id"))
                    .order_by("status", "-created_at")
                    .values_list("student_id", "term_id", "class_group_id", "status")
                )
                for student_id, term_id, group_id, _status in rows:
                    classes.setdefault((student_id, term_id), group_id)
                fixed = unresolved = 0
                for invoice in missing.only("pk", "student_id", "term_id"):
                    group_id = classes.get((invoice.student_id, invoice.term_id))
                    if group_id is None:
                        unresolved += 1
                        continue
                    if not dry_run:
                        Invoice.objects.filter(pk=invoice.pk).update(class_group_id=group_id)
                    fixed += 1
                if fixed and not dry_run:
                    audit(school=s, actor=None, action="invoices.class_group_backfilled", changes={"invoices": fixed})
            verb = "would fill" if dry_run else "filled"
            self.stdout.write(f"{s.slug}: {verb} {fixed}, no enrollment found for {unresolved}")
