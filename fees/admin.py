from django.contrib import admin

from .models import FeeItem, FeeSchedule, FeeScheduleLine, Invoice, SiblingDiscount


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
class InvoiceAdmin(admin.ModelAdmin):
    """Read-only for platform operators: money changes go through the services (audited)."""

    list_display = ("number", "school", "student", "status", "total_minor", "paid_minor", "due_date")
    list_filter = ("status", "school")
    search_fields = ("number", "student__admission_number")
    list_select_related = ("school", "student")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
