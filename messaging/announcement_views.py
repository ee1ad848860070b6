"""Announcements in the workspace: list, write (audience, classes, channels, schedule), publish, and
the detail page whose counts refresh by HTMX every 2 s while messages are still on their way."""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from classpoint.bounds import DateTimeFormField, IdsChoiceField
from classpoint.flags import request_features
from classpoint.forms import apply_domain_error
from classpoint.tenancy import school_view
from schools import selectors as schools_selectors

from . import announcements as ann
from .errors import MessagingError
from .features import channels_on
from .models import Announcement, Channel, GuardianList


class AnnouncementForm(forms.Form):
    # Not required here: announcement_create gives the field errors, in one wording for page and API.
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120, required=False)
    body = forms.CharField(label=gettext_lazy("Message"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    audience = forms.ChoiceField(label=gettext_lazy("Who is it for?"), choices=Announcement.Audience.choices)
    # The choices are the school's classes, set in __init__ once the school is known.
    class_groups = IdsChoiceField(
        label=gettext_lazy("Classes (for chosen classes only)"), required=False, queryset=None
    )
    # Read only for "A saved list": a list picked and then another audience chosen is just ignored.
    guardian_list = forms.ModelChoiceField(
        label=gettext_lazy("Saved list (for a saved list only)"), required=False, queryset=GuardianList.objects.none()
    )
    # Every channel validates here; the boxes offered are the school's (set in __init__), and
    # announcement_create refuses a switched-off one with a field error, in one wording for page and API.
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels (none ticked: each family's own channel)"),
        required=False,
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    scheduled_for = DateTimeFormField(
        label=gettext_lazy("Publish at (optional, school time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, school, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].widget.choices = [(c.value, c.label) for c in Channel if c.value in channels]
        self.fields["class_groups"].queryset = schools_selectors.class_groups_list(school=school)
        self.fields["guardian_list"].queryset = GuardianList.objects.for_school(school).annotate(
            guardian_count=Count("guardians", distinct=True)
        )
        self.fields["guardian_list"].label_from_instance = lambda item: f"{item.name} ({item.guardian_count})"


def _announcement(request, announcement_id):
    found = Announcement.objects.for_school(request.school).filter(pk=announcement_id).first()
    if found is None:
        raise Http404("No such announcement")
    return found


@require_GET
@school_view(perm="messaging.send")
def announcements_list(request):
    items = Announcement.objects.for_school(request.school).order_by("-created_at", "-id")[:100]
    return render(request, "messaging/announcements_list.html", {"announcements": items})


@require_http_methods(["GET", "POST"])
@school_view(perm="messaging.send")
def announcement_new(request):
    channels = channels_on(request.school, request_features(request))
    form = AnnouncementForm(request.POST or None, school=request.school, channels=channels)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scheduled = data["scheduled_for"]
        if scheduled is not None and scheduled.tzinfo is None:
            scheduled = scheduled.replace(tzinfo=request.school.tzinfo)
        chosen_list = data["guardian_list"] if data["audience"] == Announcement.Audience.SAVED_LIST else None
        try:
            item = ann.announcement_create(
                school=request.school,
                actor=request.user,
                title=data["title"],
                body=data["body"],
                audience=data["audience"],
                class_group_ids=[g.pk for g in data["class_groups"]],
                channels=data["channels"],
                scheduled_for=scheduled,
                guardian_list_id=chosen_list.pk if chosen_list else None,
            )
        except MessagingError as exc:
            apply_domain_error(form, exc)
        else:
            if scheduled:
                messages.success(request, _("Announcement saved. It will be published at the time chosen."))
            else:
                messages.success(request, _("Announcement saved. Publish it when ready."))
            return redirect("announcement-detail", request.school.slug, item.pk)
    context = {"form": form, "no_channel": not channels}
    return render(request, "messaging/announcements_form.html", context, status=400 if form.errors else 200)


@require_GET
@school_view(perm="messaging.send")
def announcement_detail(request, announcement_id):
    item = _announcement(request, announcement_id)
    context = {
        "announcement": item,
        "counts": ann.announcement_counts(item),
        "class_groups": list(item.class_groups.all()),
    }
    return render(request, "messaging/announcements_detail.html", context)


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm="messaging.send")
def announcement_counts(request, announcement_id):
    item = _announcement(request, announcement_id)
    context = {"announcement": item, "counts": ann.announcement_counts(item)}
    return render(request, "messaging/announcements_counts.html", context)


@school_view(perm="messaging.send")  # outermost: another school's URL is a 404 whatever the method
@require_POST
def announcement_publish(request, announcement_id):
    item = _announcement(request, announcement_id)
    try:
        ann.announcement_publish(announcement=item, actor=request.user)
    except MessagingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Published: messages to families are on their way."))
    return redirect("announcement-detail", request.school.slug, item.pk)
