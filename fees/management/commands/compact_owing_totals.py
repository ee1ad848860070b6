from django.core.management.base import BaseCommand

from classpoint.scoping import unscoped
from fees.collections import compact_owing_totals


class Command(BaseCommand):
    help = "Fold the defaulters' running totals to one row per school, term, class and due date (also every 10 min)."

    @unscoped(reason="compaction folds every school's owing deltas")
    def handle(self, *args, **options):
        before, after = compact_owing_totals()
        self.stdout.write(f"Running totals: {before} row(s) folded into {after}.")
