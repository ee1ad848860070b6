from django.contrib import admin

from classpoint.admin_base import ReadOnlyAdmin

from .models import (
    CreditEntry,
    FeeItem,
    FeeSchedule,
    FeeScheduleLine,
    Invoice,
    InvoiceInstalment,
    SiblingDiscount,
    StudentAward,
)


class ScheduleLineInline(admin.TabularInline):
    model = FeeScheduleLine
    extra = 0


@admin.register(FeeItem)
class FeeItemAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "category", "default_amount_minor", "school")
    list_filter = ("category", "school")


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "term", "class_group", "level", "school")
    inlines = [ScheduleLineInline]


@admin.register(SiblingDiscount)
class SiblingDiscountAdmin(admin.ModelAdmin):
    list_display = ("school", "child_position", "percent")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """Read-only for platform operators: money changes go through the services (audited)."""

    list_display = ("number", "school", "student", "status", "total_minor", "paid_minor", "due_date")
    list_filter = ("status", "school")
    search_fields = ("number", "student__admission_number")
    list_select_related = ("school", "student")


@admin.register(StudentAward)
class StudentAwardAdmin(ReadOnlyAdmin):
    list_display = ("student", "term", "kind", "mode", "percent", "amount_minor", "status", "school", "created_at")
    list_filter = ("status", "kind", "school")
    search_fields = ("student__admission_number", "reason")
    list_select_related = ("school", "student", "term")


@admin.register(InvoiceInstalment)
class InvoiceInstalmentAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "sequence", "due_date", "amount_minor", "paid_minor", "school")
    list_filter = ("school",)
    search_fields = ("invoice__number",)
    list_select_related = ("school", "invoice")


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "school", "guardian", "student", "kind", "amount_minor", "invoice", "source_key")
    list_filter = ("kind", "school")
    search_fields = ("source_key", "student__admission_number", "invoice__number")
    list_select_related = ("school", "guardian", "student", "invoice")
