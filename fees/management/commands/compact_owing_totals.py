from django.core.management.base import BaseCommand

from classpoint.scoping import unscoped
from fees.collections import owing_totals_compact


class Command(BaseCommand):
    help = "Fold the defaulters' running totals to one row per school, term, class and due date (also every 10 min)."

    @unscoped(reason="compaction folds every school's owing deltas")
    def handle(self, *args, **options):
        before, after = owing_totals_compact()
        self.stdout.write(f"Running totals: {before} row(s) folded into {after}.")
