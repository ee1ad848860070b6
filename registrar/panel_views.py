"""An application's detail: the board's side panel (HTMX) and a page of its own, one tab at a time.

Every action posts to its own URL and answers with the panel again: for HTMX the panel alone (with
a line saying what happened, and the `registrar-changed` trigger so the board refreshes its columns),
without JavaScript a redirect to the page on success or the page with the errors beside the fields
(400, or 409 when the timetable or the application moved on). A domain error changes nothing: the
services are atomic.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import audit
from classpoint.bounds import parse_id
from classpoint.errors import DomainError
from classpoint.files import download_url
from classpoint.tenancy import school_view
from schools.seats import class_group_seats

from . import selectors
from .models import Application, ApplicationDocument, DocumentKind, DuplicateFlag
from .placement import application_place, placement_conflicts
from .services import (
    application_approve,
    application_convert,
    document_add,
    document_review,
    duplicate_resolve,
    missing_documents_for,
)
from .transitions import allowed_moves
from .views import CHANGED, PERM, error_text, move, needs_info_items

TABS = (
    ("overview", _("Overview")),
    ("docs", _("Docs")),
    ("class", _("Class")),
    ("fees", _("Fees")),
    ("history", _("History")),
)
TAB_KEYS = {key for key, _ in TABS}
DOCUMENT_LINK_SECONDS = 300  # long enough to open it, short enough that a forwarded link is useless


def _application(request, application_id):
    try:
        return selectors.application_detail(school=request.school, application_id=application_id)
    except Application.DoesNotExist:
        raise Http404("No such application") from None


def _tab(value, default="overview"):
    return value if value in TAB_KEYS else default


def _tab_context(request, application, tab, extra, posted):
    school = request.school
    context = {}
    if tab == "overview":
        allowed = allowed_moves(application.status)
        context["moves"] = [(s, *selectors.MOVES[s]) for s in selectors.MOVE_ORDER if s in allowed]
        context["can_ask_for_info"] = Application.Status.NEEDS_INFO in allowed
        context["duplicates"] = selectors.open_duplicate_flags(school=school, application=application)
        context["kinds"] = DocumentKind.choices
        context["missing_kinds"] = set(missing_documents_for(application))
        context["checked_items"] = _checked_items(posted, context["missing_kinds"])
    elif tab == "docs":
        documents, checklist = selectors.documents_checklist(school=school, application=application)
        missing = [row["kind"] for row in checklist if row["missing"]]
        posted_kind = posted.get("kind", "") if posted else ""
        context.update(
            documents=documents,
            checklist=checklist,
            kinds=DocumentKind.choices,
            missing_kinds=set(missing),
            checked_items=_checked_items(posted, set(missing)),
            upload_kind=posted_kind or (missing[0] if missing else ""),
            can_ask_for_info=Application.Status.NEEDS_INFO in allowed_moves(application.status),
        )
    elif tab == "class":
        context.update(_class_context(request, application, extra.get("chosen_group"), extra.get("chosen_slot_ids")))
    elif tab == "fees":
        context.update(selectors.fees_summary(school=school, application=application))
        context["can_view_invoices"] = request.membership.has_perm("fees.view")
    elif tab == "history":
        context["timeline"] = selectors.history(school=school, application=application)
    return context


def _checked_items(posted, missing_kinds):
    """The document kinds ticked in a needs-info form: as posted when it comes back with an error,
    else what is missing (the usual request)."""
    if posted and ("items" in posted or posted.get("to_status") == Application.Status.NEEDS_INFO):
        return set(posted.getlist("items"))
    return missing_kinds


def _class_context(request, application, chosen_group=None, chosen_slot_ids=None):
    term, groups, slots = selectors.placement_options(
        school=request.school, application=application, class_group=chosen_group
    )
    chosen_group = chosen_group or application.placed_class_group
    if chosen_slot_ids is None:
        chosen_slot_ids = selectors.seated_slot_ids(school=request.school, application=application)
    seats = None
    if chosen_group is not None and term is not None:
        seats = class_group_seats(class_group=chosen_group, term=term)
    return {
        "term": term,
        "groups": groups,
        "slots": slots,
        "chosen_group": chosen_group,
        "chosen_slot_ids": set(chosen_slot_ids),
        "seats": seats,
        "can_place": application.status in selectors.OPEN_STATUSES,
    }


def _standalone(request):
    """Whether the panel is the page's main content (its title the h1): a page load, or HTMX from
    the application's own page, which says so in a header (on the board the panel is an aside)."""
    return not request.htmx or request.headers.get("X-Registrar-Standalone") == "1"


def render_panel(
    request, application, tab, *, status=200, notice=None, errors=None, extra=None, changed=False, posted=None
):
    """The panel (HTMX) or the page. `posted` refills the forms when they come back with errors."""
    extra = extra or {}
    context = {
        "application": application,
        "tab": tab,
        "tabs": TABS,
        "tab_label": dict(TABS)[tab],
        "notice": notice,
        "errors": errors or {},
        "posted": posted or {},
        "full_page": _standalone(request),
        "ask_for_info": request.GET.get("move") == "needs_info",
        "detail_url": reverse("registrar-application", args=[request.school.slug, application.pk]),
        **_tab_context(request, application, tab, extra, posted),
        **extra,
    }
    template = "registrar/partials/panel.html" if request.htmx else "registrar/application.html"
    response = render(request, template, context, status=status)
    if changed:
        response["HX-Trigger"] = CHANGED
    return response


def _done(request, application, tab, text, extra=None):
    """After an action that worked: the panel with what happened (HTMX), or a redirect to the page."""
    if request.htmx:
        fresh = _application(request, application.pk)
        return render_panel(request, fresh, tab, notice={"ok": True, "text": text}, extra=extra, changed=True)
    messages.success(request, text)
    url = reverse("registrar-application", args=[request.school.slug, application.pk])
    return redirect(f"{url}?tab={tab}")


def _failed(request, application, tab, exc, extra=None):
    """The panel again with the error beside its fields; the service rolled back, so the row is
    read again rather than trusting an object it may have half-changed."""
    fresh = _application(request, application.pk)
    return render_panel(
        request,
        fresh,
        tab,
        status=getattr(exc, "status_code", 400),
        notice={"ok": False, "text": error_text(exc)},
        errors=exc.fields,
        extra=extra,
        posted=request.POST,
    )


@require_GET
@vary_on_headers("HX-Request", "X-Registrar-Standalone")
@school_view(perm=PERM)
def application_detail(request, application_id):
    application = _application(request, application_id)
    return render_panel(request, application, _tab(request.GET.get("tab")))


def panel_move(request, application):
    """The Overview's (and the Docs tab's "ask for what is missing") status move."""
    tab = _tab(request.POST.get("tab"))
    to_status = request.POST.get("to_status", "")
    try:
        if to_status not in Application.Status.values:
            raise DomainError(
                gettext("Choose where to move the application."), fields={"to_status": [gettext("Choose a status.")]}
            )
        move(
            application=application,
            to_status=to_status,
            actor=request.user,
            note=request.POST.get("note", ""),
            items=needs_info_items(request.POST),
            send_welcome=request.POST.get("send_welcome") == "1",
        )
    except DomainError as exc:
        return _failed(request, application, tab, exc)
    return _done(
        request, application, tab, gettext("Moved to %(status)s.") % {"status": Application.Status(to_status).label}
    )


@school_view(perm=PERM)
@require_POST
def application_approve_view(request, application_id):
    application = _application(request, application_id)
    send_invoice = request.POST.get("send_invoice") == "1"
    try:
        application = application_approve(
            application=application,
            actor=request.user,
            send_invoice=send_invoice,
            send_autopay_link=request.POST.get("send_autopay_link") == "1",
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        return _failed(request, application, "fees", exc)
    text = gettext("Approved.")
    if application.invoice_id and application.invoice.number:
        text += " " + gettext("Invoice %(number)s issued; the family is told.") % {"number": application.invoice.number}
    elif application.invoice_id:
        text += " " + gettext("Invoice issued; the family is told.")
    return _done(request, application, "fees", text)


@school_view(perm=PERM)
@require_POST
def application_convert_view(request, application_id):
    application = _application(request, application_id)
    tab = _tab(request.POST.get("tab"))
    try:
        student = application_convert(
            application=application, actor=request.user, send_welcome=request.POST.get("send_welcome") == "1"
        )
    except DomainError as exc:
        return _failed(request, application, tab, exc)
    text = gettext("Enrolled as %(name)s (%(number)s).") % {
        "name": student.full_name,
        "number": student.admission_number,
    }
    return _done(request, application, tab, text)


def _placement_input(request):
    """(class_group, slot_ids, errors) from the Class tab's form; slots are this school's by id,
    which of them fit the term and class is academics' to say."""
    errors = {}
    group_id = parse_id(request.POST.get("class_group", ""))
    group = request.school.class_groups.filter(pk=group_id).first() if group_id else None
    if group is None:
        errors["class_group"] = [gettext("Choose a class.")]
    raw = request.POST.getlist("slots")
    slot_ids = [slot_id for slot_id in map(parse_id, raw) if slot_id]
    if len(slot_ids) != len(raw):
        errors["slots"] = [gettext("Choose slots from the list.")]
    return group, list(dict.fromkeys(slot_ids)), errors


@school_view(perm=PERM)
@require_POST
def application_place_view(request, application_id):
    application = _application(request, application_id)
    group, slot_ids, errors = _placement_input(request)
    extra = {"chosen_group": group, "chosen_slot_ids": slot_ids}
    try:
        if errors:
            raise DomainError(gettext("Check the placement."), fields=errors)
        application_place(application=application, actor=request.user, class_group=group, slot_ids=slot_ids)
    except DomainError as exc:
        conflicts = getattr(exc, "conflicts", [])
        if conflicts:
            # The clashes are listed beside the slots; the same sentences twice would be noise.
            exc = DomainError(
                gettext("Not saved: the placement clashes with the timetable (see the slots)."), code=exc.code
            )
            exc.status_code = 409
        extra["conflicts"] = conflicts
        return _failed(request, application, "class", exc, extra=extra)
    if slot_ids:
        text = ngettext(
            "Placed in %(group)s and %(count)s timetable slot.",
            "Placed in %(group)s and %(count)s timetable slots.",
            len(slot_ids),
        ) % {"group": group.name, "count": len(slot_ids)}
    else:
        text = gettext("Placed in %(group)s.") % {"group": group.name}
    return _done(request, application, "class", text)


@school_view(perm=PERM)
@require_POST
def placement_preview(request, application_id):
    """What saving this placement would run into, without saving: the Class tab asks as the
    registrar changes the class or ticks slots. `part=slots` also redraws the slot list (the class
    changed, so the slots on offer did)."""
    application = _application(request, application_id)
    group, slot_ids, errors = _placement_input(request)
    conflicts, problem = [], ""
    if group is not None and not errors:
        try:
            conflicts = placement_conflicts(application=application, class_group=group, slot_ids=slot_ids)
        except DomainError as exc:
            problem = error_text(exc)
    if request.POST.get("part") == "slots":
        context = _class_context(request, application, group, slot_ids)
        template = "registrar/partials/panel_class_slots.html"
    else:
        context, template = {}, "registrar/partials/panel_class_conflicts.html"
    context.update(application=application, conflicts=conflicts, problem=problem, previewed=group is not None)
    return render(request, template, context)


@school_view(perm=PERM)
@require_POST
def document_upload(request, application_id):
    application = _application(request, application_id)
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    try:
        errors = {}
        if kind not in DocumentKind.values:
            errors["kind"] = [gettext("Choose what the document is.")]
        if upload is None:
            errors["file"] = [gettext("Choose a file to upload.")]
        if errors:
            raise DomainError(gettext("Check the upload."), fields=errors)
        document_add(
            application=application, kind=kind, upload=upload, via=ApplicationDocument.Via.STAFF, actor=request.user
        )
    except DomainError as exc:
        return _failed(request, application, "docs", exc)
    return _done(request, application, "docs", gettext("%(kind)s uploaded.") % {"kind": DocumentKind(kind).label})


def _document(request, application, document_id):
    document = ApplicationDocument.objects.for_school(request.school).filter(pk=document_id, application=application)
    document = document.first()
    if document is None:
        raise Http404("No such document")
    return document


@require_GET
@school_view(perm=PERM)
def document_file(request, application_id, document_id):
    """Opens a document through a link signed for a few minutes, minted on the click (a link on the
    page would outlive its usefulness and could be copied around)."""
    application = _application(request, application_id)
    document = _document(request, application, document_id)
    # Birth certificates and reports are a child's records: who opened which is kept, like a student's.
    audit(
        school=request.school,
        actor=request.user,
        action="application.document_viewed",
        target=application,
        changes={"document_id": document.pk, "kind": document.kind, "via": "workspace"},
    )
    url, _ = download_url(
        document.file.name, expires_seconds=DOCUMENT_LINK_SECONDS, filename=document.original_name or None
    )
    return redirect(url)


@school_view(perm=PERM)
@require_POST
def document_review_view(request, application_id, document_id):
    application = _application(request, application_id)
    document = _document(request, application, document_id)
    status = request.POST.get("status", "")
    try:
        if status not in (ApplicationDocument.Status.VERIFIED, ApplicationDocument.Status.REJECTED):
            raise DomainError(
                gettext("Verify or reject the document."), fields={"status": [gettext("Verify or reject.")]}
            )
        document_review(document=document, actor=request.user, status=status, note=request.POST.get("note", ""))
    except DomainError as exc:
        return _failed(request, application, "docs", exc, extra={"review_document_id": document.pk})
    if status == ApplicationDocument.Status.VERIFIED:
        text = gettext("%(kind)s verified.") % {"kind": document.get_kind_display()}
    else:
        text = gettext("%(kind)s rejected.") % {"kind": document.get_kind_display()}
    return _done(request, application, "docs", text)


@school_view(perm=PERM)
@require_POST
def duplicate_resolve_view(request, application_id, flag_id):
    application = _application(request, application_id)
    flag = DuplicateFlag.objects.for_school(request.school).filter(pk=flag_id, application=application).first()
    if flag is None:
        raise Http404("No such duplicate")
    action = request.POST.get("action", "")
    try:
        if action not in ("merge", "dismiss"):
            raise DomainError(
                gettext("Merge or dismiss the duplicate."), fields={"action": [gettext("Merge or dismiss.")]}
            )
        duplicate_resolve(flag=flag, actor=request.user, action=action)
    except DomainError as exc:
        return _failed(request, application, "overview", exc)
    text = gettext("Duplicate merged.") if action == "merge" else gettext("Duplicate dismissed.")
    return _done(request, application, "overview", text)
