"""Truancy interventions under /s/<slug>/attendance/interventions/: the queue (drafts to send, letters
awaiting the family's acknowledgement, SARB cases open), one intervention with its letter, actions
and meetings, and the school's wording of the three letters.

Everything here needs `academics.manage_attendance`. Opening an intervention shows the pupil's
counted days, so the read goes into the pupil's access log. A refused action changes nothing: the
page comes back with the error beside the field, or, when the intervention has moved on (someone
sent or closed it meanwhile), as a message with a 409.

One module per concern; the views are exported from here, where academics/intervention_urls.py finds
them.
"""

from .actions import (
    intervention_acknowledge_view,
    intervention_close_view,
    intervention_meeting_add_view,
    intervention_send_view,
)
from .detail import intervention_detail, intervention_pdf
from .letters import intervention_letters
from .queue import intervention_list, intervention_scan_now

__all__ = [
    "intervention_acknowledge_view",
    "intervention_close_view",
    "intervention_detail",
    "intervention_letters",
    "intervention_list",
    "intervention_meeting_add_view",
    "intervention_pdf",
    "intervention_scan_now",
    "intervention_send_view",
]
