"""Admission settings, /s/<slug>/registrar/settings/: the documents checklist (which documents each
class level requires) and the admission number pattern, with a preview of the next number.

Each section posts to its own URL and answers like the rest of the workspace: a redirect with a
message on success, the page again with each error beside its input (400) otherwise; a refused
save changes nothing. The preview is one URL for both: HTMX gets the line under the input as the
registrar types, a page load (the "Preview" button without JavaScript) gets the whole page.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from classpoint.tenancy import school_view

from .errors import RegistrarError
from .models import DocumentKind
from .services import admission_pattern_set, document_requirements_set
from .services import settings as admission_settings
from .views import PERM

ALL_LEVELS = _("All levels")
PATTERN_FIELD = admission_settings.PATTERN_FIELD


class AdmissionPatternForm(forms.Form):
    admission_number_pattern = forms.CharField(
        label=_("Admission number pattern"),
        required=False,  # the service says what an empty pattern needs, in the same words as the API
        help_text=_("Letters, digits, spaces and / - . _ around the tokens below; {SEQ} is required."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 30}),
    )

    def __init__(self, *args, preview_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[PATTERN_FIELD].widget.attrs.update(
            {
                "hx-get": preview_url,
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#pattern-preview",
                "hx-sync": "this:replace",
            }
        )


def _posted_requirements(data):
    """[(level, kind)] from the ticks: one checkbox list per kind (`require-<kind>`), valued by level."""
    return [(level, kind) for kind in DocumentKind.values for level in data.getlist(f"require-{kind}")]


def _rows(levels, ticked, errors):
    """The checklist table: "All levels" first, then each level, a cell per document kind."""
    rows = []
    for index, level in enumerate(["", *levels]):
        label = level or ALL_LEVELS
        cells = [
            {
                "kind": kind,
                "kind_label": kind_label,
                "checked": (level, kind) in ticked,
                "id": f"require-{index}-{kind}",
                "label": f"{kind_label}: {label}",
            }
            for kind, kind_label in DocumentKind.choices
        ]
        rows.append({"level": level, "label": label, "cells": cells, "errors": errors.get(level, []), "index": index})
    return rows


def _requirement_errors(exc, pairs):
    """Service errors (`requirements.<i>.level`) by the level of the row they belong to."""
    by_level = {}
    for name, messages_ in exc.fields.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(pairs):
            by_level.setdefault(pairs[int(parts[1])][0], []).extend(messages_)
        else:
            by_level.setdefault("", []).extend(messages_)
    return {level: list(dict.fromkeys(msgs)) for level, msgs in by_level.items()}


def _preview_url(request):
    return reverse("registrar-settings-preview", args=[request.school.slug])


def _page(
    request,
    *,
    status=200,
    pattern_form=None,
    ticked=None,
    level_errors=None,
    extra_levels=(),
    preview=None,
    preview_errors=None,
    summary=None,
):
    school = request.school
    current = admission_settings.settings_summary(school=school)
    levels = current["levels"] + [lvl for lvl in dict.fromkeys(extra_levels) if lvl and lvl not in current["levels"]]
    if pattern_form is None:
        pattern_form = AdmissionPatternForm(
            initial={PATTERN_FIELD: current[PATTERN_FIELD]}, preview_url=_preview_url(request)
        )
    if preview is None and preview_errors is None:
        preview, preview_errors = current["next_admission_number"], current["pattern_problems"]
    context = {
        "rows": _rows(levels, current["requirements"] if ticked is None else ticked, level_errors or {}),
        "kinds": DocumentKind.choices,
        "pattern_form": pattern_form,
        "tokens": admission_settings.TOKENS,
        "saved_pattern": current[PATTERN_FIELD],
        "preview": preview,
        "preview_errors": preview_errors or [],
        "summary": summary or [],
        "has_class_levels": bool(current["levels"]),
    }
    return render(request, "registrar/settings.html", context, status=status)


@require_GET
@school_view(perm=PERM)
def settings_page(request):
    return _page(request)


@school_view(perm=PERM)  # outermost: another school's URL is a 404 whatever the method
@require_POST
def documents_save(request):
    pairs = _posted_requirements(request.POST)
    try:
        changed = document_requirements_set(school=request.school, actor=request.user, requirements=pairs)
    except RegistrarError as exc:
        by_level = _requirement_errors(exc, pairs)
        summary = [
            {"label": level or ALL_LEVELS, "message": message, "href": "#documents"}
            for level, msgs in by_level.items()
            for message in msgs
        ]
        return _page(
            request,
            status=400,
            ticked=set(pairs),
            level_errors=by_level,
            extra_levels=[level for level, _ in pairs],
            summary=summary,
        )
    text = gettext("Documents checklist saved.")
    if changed:
        text += " " + ngettext(
            "The missing-documents count changed on %(count)s open application.",
            "The missing-documents count changed on %(count)s open applications.",
            changed,
        ) % {"count": changed}
    messages.success(request, text)
    return redirect("registrar-settings", request.school.slug)


@school_view(perm=PERM)
@require_POST
def pattern_save(request):
    form = AdmissionPatternForm(request.POST, preview_url=_preview_url(request))
    form.is_valid()
    pattern = form.cleaned_data.get(PATTERN_FIELD, "")
    try:
        profile = admission_pattern_set(school=request.school, actor=request.user, pattern=pattern)
    except RegistrarError as exc:
        errors = exc.fields.get(PATTERN_FIELD, [exc.message])
        for error in errors:
            form.add_error(PATTERN_FIELD, error)
        summary = [
            {"label": form.fields[PATTERN_FIELD].label, "message": error, "href": f"#{form[PATTERN_FIELD].auto_id}"}
            for error in errors
        ]
        return _page(request, status=400, pattern_form=form, preview_errors=errors, summary=summary)
    messages.success(
        request,
        gettext("Admission number pattern saved: %(pattern)s. Numbers already given are kept.")
        % {"pattern": profile.admission_number_pattern},
    )
    return redirect("registrar-settings", request.school.slug)


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=PERM)
def pattern_preview(request):
    """The next admission number with the pattern typed, without taking it from the counter."""
    pattern = request.GET.get(PATTERN_FIELD, "")
    number, errors = None, []
    try:
        number = admission_settings.admission_number_preview(school=request.school, pattern=pattern)
    except RegistrarError as exc:
        errors = exc.fields.get(PATTERN_FIELD, [exc.message])
    if request.htmx:
        return render(request, "registrar/settings_preview.html", {"preview": number, "preview_errors": errors})
    form = AdmissionPatternForm({PATTERN_FIELD: pattern}, preview_url=_preview_url(request))
    form.is_valid()
    for error in errors:
        form.add_error(PATTERN_FIELD, error)
    return _page(request, pattern_form=form, preview=number, preview_errors=errors)
