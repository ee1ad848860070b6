"""Platform-admin screens. Applications change only through the services (history, audit, events),
so operators look; the documents checklist is plain configuration they may edit for a school."""

from django.contrib import admin

from classpoint.admin_base import ReadOnlyAdmin

from .models import (
    Application,
    ApplicationEvent,
    ApplicationGuardian,
    DocumentRequirement,
    DuplicateFlag,
    RegistrationKpiDaily,
    RevenueDaily,
)


class ApplicationGuardianInline(admin.TabularInline):
    model = ApplicationGuardian
    extra = 0
    can_delete = False
    fields = ("first_name", "last_name", "relationship", "phone", "email", "guardian", "is_primary")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ApplicationEventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "from_status", "to_status", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "school", "first_name", "last_name", "class_level", "status", "submitted_at")
    list_filter = ("status", "source", "school")
    search_fields = ("reference", "search_text")
    list_select_related = ("school",)
    inlines = [ApplicationGuardianInline, ApplicationEventInline]


@admin.register(DocumentRequirement)
class DocumentRequirementAdmin(admin.ModelAdmin):
    list_display = ("school", "level", "kind", "is_required")
    list_filter = ("kind", "school")


@admin.register(DuplicateFlag)
class DuplicateFlagAdmin(ReadOnlyAdmin):
    list_display = ("application", "other_application", "student", "status", "school", "created_at")
    list_filter = ("status", "school")
    list_select_related = ("school", "application", "other_application", "student")


@admin.register(RegistrationKpiDaily)
class RegistrationKpiDailyAdmin(ReadOnlyAdmin):
    list_display = ("day", "school", "leads", "in_review", "needs_info", "approved", "converted", "computed_at")
    list_filter = ("school",)
    date_hierarchy = "day"


@admin.register(RevenueDaily)
class RevenueDailyAdmin(ReadOnlyAdmin):
    list_display = (
        "day",
        "school",
        "currency",
        "collected_minor",
        "invoiced_minor",
        "outstanding_minor",
        "overdue_invoices",
    )
    list_filter = ("school",)
    date_hierarchy = "day"
