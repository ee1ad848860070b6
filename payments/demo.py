"""The payments' part of the demo: of the invoices the fees' part issued on this run, most of those
billed weeks ago paid at the counter, a few paid in part or not at all (what a real defaulters list
looks like, about one in eight older invoices overdue), and two families' bank-transfer slips waiting
in the bursar's review queue."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from classpoint.demo import demo_png, seeds_demo

from . import proofs, services


@seeds_demo
def seed_payments(context):
    if not context.invoices:
        return
    bursar = context.staff["bursar"]
    today = context.school.local_today()
    for i, invoice in enumerate(context.invoices):
        if i in (1, 2):
            _transfer_proof(invoice)
        elif invoice.issue_date < today and i % 8 < 6:
            services.transaction_record(
                invoice=invoice, kind="cash", amount_minor=invoice.total_minor, currency=invoice.currency, actor=bursar
            )
        elif i % 4 == 0:
            services.transaction_record(
                invoice=invoice, kind="cash", amount_minor=10_000_000, currency=invoice.currency, actor=bursar
            )
    # The bursar's story (invoices, then what was paid on them) ends here, so it is told here.
    context.say(
        f"Fees: {len(context.invoices)} JSS 1 invoices issued for the current term, a few part-paid, "
        "two bank-transfer proofs waiting for review."
    )


def _transfer_proof(invoice):
    """A guardian's bank-transfer slip waiting in the bursar's review queue."""
    link = invoice.student.guardian_links.select_related("guardian").first()
    slip = SimpleUploadedFile("transfer-slip.png", demo_png(), content_type="image/png")
    proofs.proof_submit_upload(
        invoice=invoice,
        actor=None,
        uploaded=slip,
        amount_minor=invoice.balance_minor,
        paid_on=invoice.school.local_today() - datetime.timedelta(days=1),
        bank_reference=f"DEMO-TRF-{invoice.pk}",
        payer_name=f"{link.guardian.first_name} {link.guardian.last_name}" if link else "",
        source="guardian",
        guardian=link.guardian if link else None,
    )
