"""The permission catalogue: every code a role may hold, declared by the app that checks it.

Each app lists its codes in `<app>/permissions.py` as `PERMISSIONS = {code: label}` (found by
`classpoint.discovery.app_modules`); the kernel adds its own (the audit log). The role editor shows
them grouped by app, and the default school admin holds them all.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from .discovery import app_modules

# The kernel's own pages (the audit log) are guarded by these.
KERNEL_PERMISSIONS = {
    "audit.view": _("Read the school's audit log"),
}


def permission_groups():
    """[(group label, {code: label})] in INSTALLED_APPS order, the kernel's last; groups without
    codes are left out. A code declared twice is a programming error and raises."""
    groups, seen = [], {}
    # Other packages have a `permissions` module too (DRF's): only one declaring PERMISSIONS counts.
    declared = [
        (module.__name__.rsplit(".", 1)[0], module.PERMISSIONS)
        for module in app_modules("permissions")
        if isinstance(getattr(module, "PERMISSIONS", None), dict)
    ]
    declared.append(("classpoint", KERNEL_PERMISSIONS))
    for app_name, codes in declared:
        for code in codes:
            if code in seen:
                raise ValueError(f"permission {code!r} is declared by both {seen[code]} and {app_name}")
            seen[code] = app_name
        if codes:
            groups.append((_group_label(app_name), dict(codes)))
    return groups


def all_permissions():
    """{code: label} of every permission the installed apps declare."""
    return {code: label for _group, codes in permission_groups() for code, label in codes.items()}


def _group_label(app_name):
    if app_name == "classpoint":
        return _("Audit log")
    config = next((c for c in apps.get_app_configs() if c.name == app_name), None)
    label = config.verbose_name if config is not None else app_name
    return label[:1].upper() + label[1:]
