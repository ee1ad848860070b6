"""Fee set-up and invoices. Money is integer minor units (kobo) with the school's currency.

The tables by subject: what is charged (pricing.py), invoices (invoices.py), what comes off them
(discounts.py), and money against them (ledger.py). Import every name from `fees.models`."""

from .discounts import InvoiceDiscount, SiblingDiscount, StudentAward
from .invoices import Invoice, InvoiceBatch, InvoiceInstalment, InvoiceLine
from .ledger import Allocation, CreditEntry, OwingDelta
from .pricing import FeeItem, FeeSchedule, FeeScheduleLine

__all__ = [
    "Allocation",
    "CreditEntry",
    "FeeItem",
    "FeeSchedule",
    "FeeScheduleLine",
    "Invoice",
    "InvoiceBatch",
    "InvoiceDiscount",
    "InvoiceInstalment",
    "InvoiceLine",
    "OwingDelta",
    "SiblingDiscount",
    "StudentAward",
]
