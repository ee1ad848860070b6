"""What a guardian agreed to receive. The current state lives on the guardian (consent_<channel>, read
by the pipeline before every send); every change is a ConsentChange row and an audit entry, whoever
made it (staff, an import, a STOP reply, a link in a message)."""

from django.db import transaction
from django.utils.translation import gettext as _

from classpoint.audit import audit

from .errors import MessagingError, MessagingErrorCode
from .models import Channel, ConsentChange


@transaction.atomic
def consent_set(*, guardian, channel, granted, source, actor=None, note=""):
    """Record that `guardian` granted (or withdrew) consent to `channel`. Returns the ConsentChange,
    or None when it was already so (a repeated STOP must not fill the history)."""
    fields = {}
    if channel not in Channel.values:
        fields["channel"] = [_("Choose one of %(values)s.") % {"values": ", ".join(Channel.values)}]
    if source not in ConsentChange.Source.values:
        fields["source"] = [_("Choose one of %(values)s.") % {"values": ", ".join(ConsentChange.Source.values)}]
    if fields:
        raise MessagingError(_("Consent was not recorded."), code=MessagingErrorCode.INVALID_CONSENT, fields=fields)
    granted = bool(granted)
    attr = f"consent_{channel}"
    # Lock the guardian so two replies arriving together record one change, not two.
    locked = type(guardian).objects.select_for_update().get(pk=guardian.pk)
    if getattr(locked, attr) == granted:
        setattr(guardian, attr, granted)
        return None
    setattr(locked, attr, granted)
    locked.save(update_fields=[attr])
    setattr(guardian, attr, granted)
    change = ConsentChange.objects.create(
        school_id=locked.school_id,
        guardian=locked,
        channel=channel,
        granted=granted,
        source=source,
        note=note[:300],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit(
        school=locked.school,
        actor=actor,
        action="guardian.consent_changed",
        target=locked,
        changes={"channel": channel, "granted": granted, "source": source, "note": note[:300]},
    )
    return change
