import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path, reverse

from classpoint.forms import apply_domain_error

from . import services
from .errors import SchoolsError
from .models import (
    AcademicSession,
    ClassGroup,
    Membership,
    Role,
    School,
    SchoolDomain,
    SchoolProfile,
    Student,
    Term,
)


class ProfileInline(admin.StackedInline):
    model = SchoolProfile
    can_delete = False


class DomainInline(admin.TabularInline):
    model = SchoolDomain
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only this school's roles are offered.
        if db_field.name == "role" and getattr(request, "_school_obj", None) is not None:
            kwargs["queryset"] = Role.objects.for_school(request._school_obj)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ProvisionForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.CharField(
        max_length=40, help_text="3–40 lowercase letters, digits, hyphens; becomes <slug>.classpoint.ng"
    )
    admin_email = forms.EmailField(label="First school admin's email")
    timezone = forms.ChoiceField(
        choices=[(t, t) for t in sorted(zoneinfo.available_timezones())], initial="Africa/Lagos"
    )
    currency = forms.CharField(max_length=3, initial="NGN")
    country = forms.CharField(max_length=2, initial="NG")


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "status", "timezone", "currency", "created_at")
    list_filter = ("status", "country")
    search_fields = ("name", "slug", "domains__hostname")
    inlines = [ProfileInline, DomainInline, MembershipInline]
    readonly_fields = ("slug", "created_at")
    change_list_template = "admin/schools/school/change_list.html"

    def get_form(self, request, obj=None, **kwargs):
        request._school_obj = obj
        return super().get_form(request, obj, **kwargs)

    def has_add_permission(self, request):
        return False  # schools are provisioned (roles, domain, first admin), never added bare

    def get_urls(self):
        custom = [path("provision/", self.admin_site.admin_view(self.provision_view), name="schools_school_provision")]
        return custom + super().get_urls()

    def provision_view(self, request):
        form = ProvisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                school, link = services.school_provision(actor=request.user, **form.cleaned_data)
            except SchoolsError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"{school.name} is provisioned. Invitation link for the admin: {link}")
                return redirect(reverse("admin:schools_school_change", args=[school.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Provision a school",
            "opts": self.model._meta,
        }
        return render(request, "admin/schools/school/provision.html", context)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "school")
    list_filter = ("key",)
    search_fields = ("school__slug",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "school", "role", "is_active", "created_at")
    list_filter = ("role__key", "is_active")
    search_fields = ("user__username", "user__email", "school__slug")
    autocomplete_fields = ("user",)
    list_select_related = ("user", "school", "role")


@admin.register(SchoolDomain)
class SchoolDomainAdmin(admin.ModelAdmin):
    list_display = ("hostname", "school", "is_primary", "is_custom")
    search_fields = ("hostname", "school__slug")


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ("admission_number", "last_name", "first_name", "school", "status")
    list_filter = ("status", "school")
    search_fields = ("admission_number", "last_name", "first_name")
    list_select_related = ("school",)
    show_full_result_count = False


admin.site.register([AcademicSession, Term, ClassGroup])
