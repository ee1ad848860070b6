"""Report cards in the workspace, under /s/<slug>/results/cards/: a class's cards at a glance (total,
average, position, what is missing, whether published), each pupil's card as it prints with the two
comment editors, the PDFs (one card, the whole class) and the class broadsheet (page, CSV, PDF).

Who sees what: a member who manages or publishes results, every class; a teacher who enters scores,
the classes they are form teacher of; anyone else is refused (403). Every staff view of a pupil's
card, on the page or as a PDF, is written to the pupil's access log.

The comment editors are plain forms: "Use this comment" fills the box from the school's comment bank
and "Save" saves it; htmx posts either and swaps the editor in place, without JavaScript the page
reloads.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import record_access, record_export
from classpoint.bounds import parse_id
from classpoint.csvfile import csv_download
from classpoint.replica import reads_may_lag
from classpoint.tenancy import school_view

from .errors import AcademicsError
from .models import CommentBank
from .results import broadsheet as sheets
from .results import card_pdf, cards, comments, setup_grading
from .results.selectors import class_pupils

FORMS = {"form_teacher": "form_teacher_comment", "head": "head_comment"}
TITLES = {"form_teacher": _("Form teacher’s comment"), "head": _("Head’s comment")}


def _refuse(request):
    return render(request, "403.html", {}, status=403)


def _term(request, term_id):
    term = request.school.terms.filter(pk=term_id).select_related("session").first()
    if term is None:
        raise Http404("No such term")
    return term


def _class_group(request, class_group_id):
    group = request.school.class_groups.filter(pk=class_group_id).select_related("form_teacher").first()
    if group is None:
        raise Http404("No such class")
    if not cards.may_see_class(membership=request.membership, class_group=group):
        raise PermissionDenied
    return group


def _pupil(request, term, student_id):
    """(student, class) of a card the member may see: 404 for a pupil in no class that term."""
    student = request.school.students.filter(pk=student_id).first()
    if student is None:
        raise Http404("No such pupil")
    group = cards.class_of(school=request.school, term=term, student=student)
    if group is None:
        raise Http404("The pupil was in no class that term")
    if not cards.may_see_class(membership=request.membership, class_group=group):
        raise PermissionDenied
    return student, group


def _pdf(body, filename, inline=True):
    response = HttpResponse(body, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _name(*parts):
    return "-".join(slugify(str(p)) for p in parts if p) or "report"


@require_GET
@school_view()
def cards_class(request):
    """The class page: ?term= (default the current term) and ?class_group= (default the member's first
    class); ?format=pdf gives the whole class's cards in one PDF."""
    school, membership = request.school, request.membership
    if not any(membership.has_perm(perm) for perm in (cards.MANAGE, cards.PUBLISH, cards.ENTER)):
        return _refuse(request)
    classes = cards.visible_classes(school=school, membership=membership)
    terms = list(school.terms.select_related("session").order_by("-start_date", "-id"))
    term_id, group_id = parse_id(request.GET.get("term", "")), parse_id(request.GET.get("class_group", ""))
    term = next((t for t in terms if t.pk == term_id), None) or next((t for t in terms if t.is_current), None)
    term = term or (terms[0] if terms else None)
    group = next((g for g in classes if g.pk == group_id), None) or (classes[0] if classes else None)
    found = []
    if term is not None and group is not None:
        found = cards.class_cards(school=school, term=term, class_group=group)
        if request.GET.get("format") == "pdf":
            if not found:
                raise Http404("No pupil in the class that term")
            body = card_pdf.class_cards_pdf(school=school, term=term, class_group=group)
            for card in found:
                record_access(school=school, actor=request.user, target=card.student, via="workspace")
            return _pdf(body, f"report-cards-{_name(group.name, term.name)}.pdf")
    context = {
        "terms": terms,
        "term": term,
        "classes": classes,
        "group": group,
        "cards": found,
        "complete": sum(1 for c in found if c.complete),
        "published": sum(1 for c in found if c.published),
    }
    return render(request, "academics/results/cards/class.html", context)


def _editor(request, card, which, *, text=None, errors=(), status=""):
    field = FORMS[which]
    kind = CommentBank.Kind.FORM_TEACHER if which == "form_teacher" else CommentBank.Kind.HEAD
    return {
        "which": which,
        "title": TITLES[which],
        "text": getattr(card, field) if text is None else text,
        "bank": setup_grading.comment_bank(request.school, kind),
        "errors": list(errors),
        "status": status,
        "card": card,
    }


def _card_context(request, card, editors=None):
    allowed = comments.may_comment(school=request.school, actor=request.user, class_group=card.class_group)
    editors = editors or {}
    shown = [editors.get(which) or _editor(request, card, which) for which, field in FORMS.items() if allowed[field]]
    roster = [p.pk for p in class_pupils(school=request.school, term=card.term, class_group=card.class_group)]
    at = roster.index(card.student.pk) if card.student.pk in roster else 0
    return {
        "card": card,
        "term": card.term,
        "student": card.student,
        "editors": shown,
        "previous_id": roster[at - 1] if at > 0 else None,
        "next_id": roster[at + 1] if at + 1 < len(roster) else None,
    }


@require_GET
@school_view()
def card_page(request, term_id, student_id):
    term = _term(request, term_id)
    student, _group = _pupil(request, term, student_id)
    card = cards.report_card(school=request.school, term=term, student=student)
    record_access(school=request.school, actor=request.user, target=student, via="workspace")
    return render(request, "academics/results/cards/card.html", _card_context(request, card))


@require_GET
@school_view()
def card_pdf_view(request, term_id, student_id):
    term = _term(request, term_id)
    student, _group = _pupil(request, term, student_id)
    body = card_pdf.report_card_pdf(school=request.school, term=term, student=student)
    record_access(school=request.school, actor=request.user, target=student, via="workspace")
    return _pdf(body, f"report-card-{_name(student.admission_number, term.name)}.pdf")


@require_POST
@vary_on_headers("HX-Request")
@school_view()
def card_comments(request, term_id, student_id):
    """Pick a comment from the bank (action=pick: fills the box, saves nothing) or save the box
    (action=save). htmx gets the editor back; a plain form, the page (after a save, a redirect)."""
    school, term = request.school, _term(request, term_id)
    student, _group = _pupil(request, term, student_id)
    which = request.POST.get("which", "")
    if which not in FORMS:
        raise Http404("No such comment")
    text, errors, status, code, saved = request.POST.get("text", ""), [], "", 200, False
    if request.POST.get("action") == "pick":
        kind = CommentBank.Kind.FORM_TEACHER if which == "form_teacher" else CommentBank.Kind.HEAD
        bank_id = parse_id(request.POST.get("bank", ""))
        picked = CommentBank.objects.for_school(school).filter(kind=kind, pk=bank_id).first() if bank_id else None
        if picked is None:
            errors, code = [gettext("Choose a comment from the bank first.")], 400
        else:
            text, status = picked.text, gettext("Filled from the comment bank: edit it if you like, then save.")
    else:
        try:
            comments.report_card_comment_set(
                school=school, actor=request.user, term=term, student=student, **{FORMS[which]: text}
            )
        except AcademicsError as error:
            errors, code = [m for ms in error.fields.values() for m in ms] or [error.message], 400
        else:
            if not request.htmx:
                messages.success(request, gettext("%(comment)s saved.") % {"comment": TITLES[which]})
                return redirect(reverse("results-card", args=[school.slug, term.pk, student.pk]) + f"#comment-{which}")
            status, saved = gettext("Saved."), True
    card = cards.report_card(school=school, term=term, student=student)
    editor = _editor(request, card, which, text=text, errors=errors, status=status)
    if request.htmx:
        context = {"editor": editor, "school": school, "term": term, "student": student}
        if saved:  # the card above the editors shows the comment as saved
            context.update(oob=True, oob_text=getattr(card, FORMS[which]))
        return render(request, "academics/results/cards/comment_editor.html", context, status=code)
    context = _card_context(request, card, editors={which: editor})
    return render(request, "academics/results/cards/card.html", context, status=code)


@require_GET
@school_view()
@reads_may_lag
def broadsheet_page(request, term_id, class_group_id):
    """The class's broadsheet; ?format=csv or ?format=pdf downloads it."""
    term, group = _term(request, term_id), _class_group(request, class_group_id)
    sheet = sheets.broadsheet(school=request.school, term=term, class_group=group)
    name = f"broadsheet-{_name(group.name, term.name)}"
    wanted = request.GET.get("format")
    if wanted == "csv":
        # Every pupil's results of the class in a file: one access entry says who took which.
        filters = {"term": term.pk, "class_group": group.pk}
        record_export(
            school=request.school, actor=request.user, export="broadsheet", filters=filters, rows=len(sheet.rows)
        )
        header, rows = sheets.csv_table(sheet)
        return csv_download(f"{name}.csv", header, rows)
    if wanted == "pdf":
        return _pdf(sheets.broadsheet_pdf(school=request.school, sheet=sheet), f"{name}.pdf")
    return render(request, "academics/results/cards/broadsheet.html", {"sheet": sheet, "term": term, "group": group})
