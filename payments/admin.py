"""Payments in the platform admin: operators find a payment by any reference a school or a payer
quotes and read it. Nothing is written here: money moves only through the audited services."""

from django.contrib import admin

from classpoint.admin_base import ReadOnlyAdmin

from .models import PaymentIntent, PaymentProof, PaymentTransaction, Receipt, WebhookEvent


@admin.register(PaymentIntent)
class PaymentIntentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "school", "invoice", "gateway", "amount_minor", "currency", "status", "created_at")
    list_filter = ("gateway", "status", "school")
    search_fields = ("=reference", "invoice__number")
    list_select_related = ("school", "invoice")
    date_hierarchy = "created_at"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    # No school column: an event is stored before (and whether or not) its pay link is found.
    list_display = ("event_id", "gateway", "reference", "status", "problem", "received_at")
    list_filter = ("gateway", "status")
    search_fields = ("=reference", "=event_id")
    date_hierarchy = "received_at"


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "school",
        "invoice",
        "kind",
        "gateway",
        "provider_reference",
        "amount_minor",
        "currency",
        "status",
        "created_at",
    )
    list_filter = ("gateway", "status", "kind", "school")
    search_fields = ("=provider_reference", "=intent__reference", "invoice__number", "receipt__number")
    list_select_related = ("school", "invoice")
    date_hierarchy = "created_at"


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("number", "school", "transaction", "amount_minor", "currency", "is_void", "issued_at")
    list_filter = ("is_void", "school")
    search_fields = ("=number", "=transaction__provider_reference", "=transaction__intent__reference")
    list_select_related = ("school", "transaction")
    date_hierarchy = "issued_at"


@admin.register(PaymentProof)
class PaymentProofAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "school",
        "invoice",
        "amount_minor",
        "currency",
        "bank_reference",
        "source",
        "status",
        "created_at",
    )
    list_filter = ("status", "source", "school")
    search_fields = ("=bank_reference", "invoice__number")
    list_select_related = ("school", "invoice")
    date_hierarchy = "created_at"
