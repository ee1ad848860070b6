from . import batches


def run_invoice_batch(batch_id):
    batch = batches.run(batch_id)
    return None if batch is None else {"created": batch.created_count, "skipped": batch.skipped_count}


def overdue_scan_due_schools():
    from django.conf import settings

    from schools.models import School

    from .collections import overdue_scan

    scanned = 0
    for school in School.objects.filter(status=School.Status.ACTIVE):
        if school.local_now().hour == settings.OVERDUE_SCAN_LOCAL_HOUR:
            overdue_scan(school=school)
            scanned += 1
    return scanned


def compact_owing_totals():
    from .collections import compact_owing_totals as compact

    before, after = compact()
    return {"rows_before": before, "rows_after": after}
