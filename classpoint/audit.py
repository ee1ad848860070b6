"""Audit entries, written by services inside their own transaction (rolled back with it)."""

from .context import client_ip_var, request_id_var
from .models import AuditLog


def audit(*, school, actor, action, target=None, changes=None, target_label=""):
    """Record that `actor` did `action` to `target` in `school`. `actor` may be None (system)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        school=school,
        actor=user,
        actor_label=(user.get_username() if user else "system"),
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:200],
        changes=changes or {},
        ip_address=client_ip_var.get(),
        request_id=request_id_var.get(),
    )


def record_access(*, school, actor, target, via):
    """A staff or API read of a person's record (`via` is "workspace" or "api")."""
    return audit(
        school=school, actor=actor, action=f"{target._meta.model_name}.viewed", target=target, changes={"via": via}
    )


def record_export(*, school, actor, export, filters=None, rows=None):
    """A list of pupils' records leaving the workspace as a file (`export`: "students", "invoices"...):
    one entry for the whole file, saying who took it, with which filters and (when the view knows it)
    how many rows, rather than one per pupil. Written before the first row is sent."""
    changes = {"via": "export", "filters": {key: str(value) for key, value in (filters or {}).items() if value}}
    if rows is not None:
        changes["rows"] = rows
    return audit(school=school, actor=actor, action=f"{export}.exported", changes=changes)
