from django.conf import settings

from classpoint.scoping import for_school, school_of
from schools.models import School

from . import batches
from .collections import overdue_scan, owing_totals_compact
from .models import InvoiceBatch


def run_invoice_batch(batch_id):
    school_id = school_of(InvoiceBatch, batch_id)
    if school_id is None:
        return None
    with for_school(school_id):
        batch = batches.invoice_batch_run(batch_id)
    return None if batch is None else {"created": batch.created_count, "skipped": batch.skipped_count}


def overdue_scan_due_schools():
    scanned = 0
    for school in School.objects.filter(status=School.Status.ACTIVE):
        if school.local_now().hour == settings.OVERDUE_SCAN_LOCAL_HOUR:
            with for_school(school):
                overdue_scan(school=school)
            scanned += 1
    return scanned


def compact_owing_totals():
    before, after = owing_totals_compact()
    return {"rows_before": before, "rows_after": after}
