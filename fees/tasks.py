from . import batches


def run_invoice_batch(batch_id):
    batch = batches.run(batch_id)
    return None if batch is None else {"created": batch.created_count, "skipped": batch.skipped_count}
