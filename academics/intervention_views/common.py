"""What the intervention pages share: permissions, the words for each kind, and the school's
interventions."""

from django.utils.translation import gettext_lazy as _

from ..models import Intervention

MANAGE = "academics.manage_attendance"
VIEW = "academics.view_attendance"
Kind, State = Intervention.Kind, Intervention.State
SCAN_WORDS = {
    Kind.LETTER_1: _("first letter"),
    Kind.LETTER_2: _("second letter"),
    Kind.LETTER_3: _("third letter"),
    Kind.SARB_REFERRAL: _("SARB referral"),
}


def school_interventions(school):
    return Intervention.objects.for_school(school).select_related("student", "sent_by")
