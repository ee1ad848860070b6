"""Saved lists in the workspace: all lists, a new one, one list (rename it, find guardians and add
them, paste phone numbers and emails, remove members) and deleting it.

Same permission as announcements (`messaging.send`): a list exists only to be written to, and its
page shows guardians' numbers and emails."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.forms import apply_domain_error
from classpoint.tenancy import school_view
from schools import selectors as schools_selectors

from . import lists
from .errors import MessagingError
from .models import GuardianList

MEMBERS_PER_PAGE = 100
LISTS_PER_PAGE = 50
FOUND_LIMIT = 25
CONTACTS_HELP = gettext_lazy(
    "One per line, as in your spreadsheet: 0803 123 4567, +2348031234567 or name@example.com. "
    "If any line matches no guardian of the school, nobody is added and those lines are listed."
)


class GuardianListForm(forms.Form):
    # Not required here: the lists services give the field errors, in one wording for page and API.
    name = forms.CharField(
        label=gettext_lazy("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": lists.NAME_MAX})
    )
    description = forms.CharField(
        label=gettext_lazy("Description (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NewGuardianListForm(GuardianListForm):
    contacts = forms.CharField(
        label=gettext_lazy("Members: phone numbers or emails (optional)"),
        required=False,
        help_text=CONTACTS_HELP,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class AddMembersForm(forms.Form):
    contacts = forms.CharField(
        label=gettext_lazy("Phone numbers or emails"),
        required=False,
        help_text=CONTACTS_HELP,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class FindGuardiansForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Find guardians by name, phone or email"), required=False, max_length=100)


def _lists(request):
    return GuardianList.objects.for_school(request.school)


def _guardian_list(request, list_id):
    found = _lists(request).filter(pk=list_id).first()
    if found is None:
        raise Http404("No such list")
    return found


def _found_guardians(request, guardian_list, q):
    """Guardians of the school matching `q` who are not on the list yet (a short list to pick from)."""
    if not (q or "").strip():
        return []
    guardians = schools_selectors.guardians_list(school=request.school, q=q).exclude(saved_lists=guardian_list)
    return list(guardians[:FOUND_LIMIT])


def _detail(request, guardian_list, *, form=None, add_form=None, status=200):
    find_form = FindGuardiansForm(request.GET or None)
    q = find_form.cleaned_data["q"] if find_form.is_valid() else ""
    members = schools_selectors.guardians_list(school=request.school).filter(saved_lists=guardian_list)
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "guardian_list": guardian_list,
        "form": form
        or GuardianListForm(initial={"name": guardian_list.name, "description": guardian_list.description}),
        "add_form": add_form or AddMembersForm(),
        "find_form": find_form,
        "q": q,
        "found": _found_guardians(request, guardian_list, q),
        "found_limit": FOUND_LIMIT,
        "page": page,
        "query_string": params.urlencode(),
        "waiting": list(lists.announcements_waiting_for(guardian_list)[:10]),
    }
    return render(request, "messaging/list_detail.html", context, status=status)


@require_GET
@school_view(perm="messaging.send")
def lists_index(request):
    items = _lists(request).annotate(guardian_count=Count("guardians", distinct=True)).order_by("name", "id")
    page = Paginator(items, LISTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "messaging/list_index.html", {"page": page, "query_string": ""})


@require_http_methods(["GET", "POST"])
@school_view(perm="messaging.send")
def list_new(request):
    form = NewGuardianListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = lists.guardian_list_create(
                school=request.school,
                actor=request.user,
                name=data["name"],
                description=data["description"],
                contacts=data["contacts"],
            )
        except MessagingError as exc:
            apply_domain_error(form, exc)
        else:
            count = item.guardians.count()
            messages.success(
                request,
                ngettext(
                    "List “%(name)s” saved with %(count)d guardian.",
                    "List “%(name)s” saved with %(count)d guardians.",
                    count,
                )
                % {"name": item.name, "count": count},
            )
            return redirect("guardian-list", request.school.slug, item.pk)
    return render(request, "messaging/list_form.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@school_view(perm="messaging.send")
def list_detail(request, list_id):
    guardian_list = _guardian_list(request, list_id)
    if request.method == "GET":
        return _detail(request, guardian_list)
    form = GuardianListForm(request.POST)
    if form.is_valid():
        try:
            lists.guardian_list_update(
                guardian_list=guardian_list,
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except MessagingError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("List saved."))
            return redirect("guardian-list", request.school.slug, guardian_list.pk)
    guardian_list.refresh_from_db()  # the heading shows the saved name, not the refused one
    return _detail(request, guardian_list, form=form, status=400)


@school_view(perm="messaging.send")  # outermost: another school's URL is a 404 whatever the method
@require_POST
def list_members_add(request, list_id):
    guardian_list = _guardian_list(request, list_id)
    add_form = AddMembersForm(request.POST)
    add_form.is_valid()
    try:
        added = lists.guardian_list_add_members(
            guardian_list=guardian_list,
            actor=request.user,
            guardian_ids=request.POST.getlist("guardian_ids"),
            contacts=add_form.cleaned_data.get("contacts", ""),
        )
    except MessagingError as exc:
        apply_domain_error(add_form, exc)
        return _detail(request, guardian_list, add_form=add_form, status=400)
    if added:
        messages.success(
            request,
            ngettext("%(count)d guardian was added to the list.", "%(count)d guardians were added to the list.", added)
            % {"count": added},
        )
    else:
        messages.info(request, _("Everyone you chose was already on the list."))
    return redirect("guardian-list", request.school.slug, guardian_list.pk)


@school_view(perm="messaging.send")
@require_POST
def list_members_remove(request, list_id):
    guardian_list = _guardian_list(request, list_id)
    try:
        removed = lists.guardian_list_remove_members(
            guardian_list=guardian_list, actor=request.user, guardian_ids=request.POST.getlist("guardian_ids")
        )
    except MessagingError as exc:
        messages.error(request, " ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message)
    else:
        if removed:
            messages.success(
                request,
                ngettext(
                    "%(count)d guardian was removed from the list.",
                    "%(count)d guardians were removed from the list.",
                    removed,
                )
                % {"count": removed},
            )
        else:
            messages.info(request, _("Nobody was removed: they were no longer on the list."))
    return redirect("guardian-list", request.school.slug, guardian_list.pk)


@school_view(perm="messaging.send")
@require_POST
def list_delete(request, list_id):
    guardian_list = _guardian_list(request, list_id)
    try:
        lists.guardian_list_delete(guardian_list=guardian_list, actor=request.user)
    except MessagingError as exc:
        messages.error(request, exc.message)
        return redirect("guardian-list", request.school.slug, guardian_list.pk)
    messages.success(request, _("List “%(name)s” deleted.") % {"name": guardian_list.name})
    return redirect("guardian-lists", request.school.slug)
