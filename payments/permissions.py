"""What the payments app guards."""

PERMISSIONS = {
    "payments.view": "View payments and receipts",
    "payments.review_proofs": "Approve or reject bank-transfer proofs",
    "payments.refund": "Refund payments",
}
