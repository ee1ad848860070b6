"""The school's wording of letters 1 to 3: the law's default until the school saves its own."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from ..errors import AcademicsError
from ..interventions.letters import LETTER_KINDS
from ..interventions.services import letter_template_save
from ..interventions.wording import DEFAULTS
from ..models import LetterTemplate
from .common import MANAGE, SCAN_WORDS, Kind

MAX_SUBJECT = 200
MAX_BODY = 20000
PLACEHOLDERS = [
    ("student_name", _("the pupil’s name")),
    ("guardian_name", _("the guardian the letter goes to (“Parent or guardian” when unknown)")),
    ("school_name", _("the school’s name")),
    ("class_name", _("the pupil’s class")),
    ("days_count", _("how many school days count")),
    ("days_list", _("those days, e.g. “3 Nov, 10 Nov, 17 Nov”")),
    ("date", _("the day the letter is sent")),
    ("officer_name", _("who sends it")),
]


class LetterForm(forms.Form):
    # Not required here: the service says why in words of its own.
    subject = forms.CharField(label=_("Subject"), required=False, max_length=MAX_SUBJECT)
    body = forms.CharField(
        label=_("Letter"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Leave a blank line between paragraphs."),
    )


LETTER_TITLES = {
    Kind.LETTER_1: (
        _("Letter 1: truant"),
        _("After the school’s threshold of unexcused days (Education Code 48260.5)."),
    ),
    Kind.LETTER_2: (_("Letter 2: truant again"), _("One more unexcused day after letter 1 went out (section 48261).")),
    Kind.LETTER_3: (
        _("Letter 3: habitual truant"),
        _("One more after letter 2 (section 48262); a SARB referral is drafted with it."),
    ),
}


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def intervention_letters(request):
    """The school's wording of letters 1 to 3: the law's default until the school saves its own."""
    school = request.school
    saved = {t.kind: t for t in LetterTemplate.objects.for_school(school).filter(kind__in=LETTER_KINDS)}
    posted = request.POST.get("kind") if request.method == "POST" else None
    status = 200
    if posted is not None and posted not in LETTER_KINDS:
        messages.error(request, gettext("Choose letter 1, 2 or 3."))
        posted, status = None, 400
    letters = []
    for kind in LETTER_KINDS:
        subject, body = (saved[kind].subject, saved[kind].body) if kind in saved else DEFAULTS[kind]
        if kind == posted:
            form = LetterForm(request.POST, prefix=kind)
            if form.is_valid():
                try:
                    letter_template_save(
                        school=school,
                        kind=kind,
                        subject=form.cleaned_data["subject"],
                        body=form.cleaned_data["body"],
                        actor=request.user,
                    )
                except AcademicsError as exc:
                    apply_domain_error(form, exc)
                    status = exc.status_code
                else:
                    said = gettext("%(letter)s: the school’s wording is saved.")
                    messages.success(request, said % {"letter": LETTER_TITLES[kind][0]})
                    return redirect("intervention-letters", school.slug)
            if status == 200:
                status = 400
        else:
            form = LetterForm(initial={"subject": subject, "body": body}, prefix=kind)
        title, when = LETTER_TITLES[kind]
        letters.append(
            {
                "kind": kind,
                "title": title,
                "short": SCAN_WORDS[kind],
                "when": when,
                "form": form,
                "summary": error_summary(form),
                "saved": saved.get(kind),
                "default_subject": DEFAULTS[kind][0],
                "default_body": DEFAULTS[kind][1],
            }
        )
    context = {"letters": letters, "placeholders": PLACEHOLDERS}
    return render(request, "academics/interventions/letters.html", context, status=status)
