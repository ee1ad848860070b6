"""The school year under /s/<slug>/year/: an overview, the sessions with their terms, and a session's
and a term's own pages. Anyone who may see students may read them; changing anything takes
`school.manage`, and goes through the same services the API uses, so the rules are the API's.

A refused form comes back with each error beside its field and nothing saved."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.bounds import MAX_ID
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from .errors import SchoolsError
from .models import Enrollment, Rollover, Term
from .services.calendar import session_create, session_update, term_create, term_set_current, term_update
from .year_forms import SessionForm, TermForm

VIEW, MANAGE = "students.view", "school.manage"
T = "schools/year/"


def may_manage(request):
    return request.membership.has_perm(MANAGE)


def forbidden(request):
    return render(request, "403.html", {"perm": MANAGE}, status=403)


def refused(status):
    """A form that failed its own checks is a 400; a service's refusal keeps the service's status."""
    return 400 if status == 200 else status


def save_with(form, call):
    """Run `call(**cleaned_data)` if the form is valid; (result or None, HTTP status). A domain error
    lands on the form's fields."""
    if not form.is_valid():
        return None, 400
    try:
        return call(**form.cleaned_data), 200
    except SchoolsError as exc:
        apply_domain_error(form, exc)
        return None, refused(exc.status_code)


@require_GET
@school_view(perm=VIEW)
def year_home(request):
    school = request.school
    term = school.current_term()
    pupils = school.enrollments.filter(term=term, status=Enrollment.Status.ACTIVE).count() if term else 0
    context = {
        "current": "home",
        "term": term,
        "session_count": school.sessions.count(),
        "class_count": school.class_groups.count(),
        "pupils": pupils,
        "last_rollover": Rollover.objects.for_school(school).select_related("from_session", "to_session").first(),
        "can_manage": may_manage(request),
        "can_manage_subjects": request.membership.has_perm("academics.manage_results"),
    }
    return render(request, T + "home.html", context)


# --- Sessions ----------------------------------------------------------------------------------------


def _sessions(school):
    terms = Prefetch("terms", queryset=Term.objects.for_school(school).order_by("start_date", "id"))
    return list(school.sessions.order_by("-start_date", "-id").prefetch_related(terms))


@require_http_methods(["GET", "POST"])
@school_view(perm=VIEW)
def sessions_page(request):
    school = request.school
    form = SessionForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not may_manage(request):
            return forbidden(request)
        session, status = save_with(form, lambda **data: session_create(school=school, actor=request.user, **data))
        if session is not None:
            messages.success(request, _("Added the session %(session)s. Now add its terms.") % {"session": session})
            return redirect("year-session", school.slug, session.pk)
    context = {
        "current": "sessions",
        "sessions": _sessions(school),
        "form": form,
        "summary": error_summary(form),
        "can_manage": may_manage(request),
    }
    return render(request, T + "sessions.html", context, status=status)


def _session(request, session_id):
    found = request.school.sessions.filter(pk=session_id).first() if session_id <= MAX_ID else None
    if found is None:
        raise Http404("No such session")
    return found


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def session_page(request, academic_session_id):
    school = request.school
    session = _session(request, academic_session_id)
    initial = {"name": session.name, "start_date": session.start_date, "end_date": session.end_date}
    form = SessionForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        saved, status = save_with(form, lambda **data: session_update(session=session, actor=request.user, **data))
        if saved is not None:
            messages.success(request, _("Saved the session %(session)s.") % {"session": saved})
            return redirect("year-sessions", school.slug)
        session.refresh_from_db()
    return _session_page(request, session, form=form, term_form=TermForm(), status=status)


def _session_page(request, session, *, form, term_form, status=200):
    context = {
        "current": "sessions",
        "session": session,
        "terms": list(session.terms.order_by("start_date", "id")),
        "form": form,
        "term_form": term_form,
        "summary": error_summary(form) + error_summary(term_form),
    }
    return render(request, T + "session.html", context, status=status)


@require_POST
@school_view(perm=MANAGE)
def session_add_term(request, academic_session_id):
    school = request.school
    session = _session(request, academic_session_id)
    term_form = TermForm(request.POST)
    term, status = save_with(
        term_form, lambda **data: term_create(school=school, actor=request.user, session=session, **data)
    )
    if term is not None:
        messages.success(request, _("Added %(term)s to %(session)s.") % {"term": term.name, "session": session})
        return redirect("year-session", school.slug, session.pk)
    initial = {"name": session.name, "start_date": session.start_date, "end_date": session.end_date}
    return _session_page(request, session, form=SessionForm(initial=initial), term_form=term_form, status=status)


# --- Terms -------------------------------------------------------------------------------------------


def _term(request, term_id):
    found = request.school.terms.select_related("session").filter(pk=term_id).first() if term_id <= MAX_ID else None
    if found is None:
        raise Http404("No such term")
    return found


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def term_page(request, term_id):
    school = request.school
    term = _term(request, term_id)
    initial = {"name": term.name, "start_date": term.start_date, "end_date": term.end_date}
    form = TermForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        saved, status = save_with(form, lambda **data: term_update(term=term, actor=request.user, **data))
        if saved is not None:
            messages.success(
                request, _("Saved %(term)s of %(session)s.") % {"term": saved.name, "session": saved.session}
            )
            return redirect("year-session", school.slug, saved.session_id)
        term.refresh_from_db()
    context = {"current": "sessions", "term": term, "form": form, "summary": error_summary(form)}
    return render(request, T + "term.html", context, status=status)


@require_POST
@school_view(perm=MANAGE)
def term_make_current(request, term_id):
    term = _term(request, term_id)
    term_set_current(term=term, actor=request.user)
    text = _("%(term)s of %(session)s is now the current term, and %(session)s the current session.") % {
        "term": term.name,
        "session": term.session,
    }
    if term.carried_pupils:
        text += " " + ngettext(
            "%(count)d pupil carried into the same class.",
            "%(count)d pupils carried into the same classes.",
            term.carried_pupils,
        ) % {"count": term.carried_pupils}
    messages.success(request, text)
    return redirect("year-sessions", request.school.slug)
