"""The tabs of a pupil's record and of a guardian's page, which several apps fill: schools has the
profile, guardians, enrolment and access log; the apps above it add fees, attendance, results,
documents and messages. schools may not import them, so each app that adds a tab declares it in a
`<app>/student_tabs.py` (found by `classpoint.discovery.app_modules`) with either or both of

    STUDENT_TABS = [RecordTab(...), ...]   # reversed with (school slug, student id)
    GUARDIAN_TABS = [RecordTab(...), ...]  # reversed with (school slug, guardian id)

and serves the tab's page itself. A member sees the tabs their role allows (`Membership.has_perm`,
any one of `permission` when it is a tuple); the view behind each tab checks the same permission.
"""

import functools
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from classpoint.discovery import app_modules
from classpoint.flags import url_on


@dataclass(frozen=True)
class RecordTab:
    key: str  # unique on its page; the tab view names it as the current one
    label: str
    order: int  # left to right
    permission: str | tuple[str, ...]  # a tuple: any one of them shows the tab
    url_name: str  # takes (school slug, student or guardian id)

    def allowed(self, membership):
        codes = (self.permission,) if isinstance(self.permission, str) else self.permission
        return membership is not None and any(membership.has_perm(code) for code in codes)


def _declared(attribute):
    tabs = sorted(
        (tab for module in app_modules("student_tabs") for tab in getattr(module, attribute, ())),
        key=lambda tab: (tab.order, tab.key),
    )
    keys = [tab.key for tab in tabs]
    doubled = sorted({key for key in keys if keys.count(key) > 1})
    if doubled:
        raise ImproperlyConfigured(f"{attribute}: more than one app declares the tab {', '.join(doubled)}")
    return tuple(tabs)


@functools.cache
def _student_tabs():
    return _declared("STUDENT_TABS")


@functools.cache
def _guardian_tabs():
    return _declared("GUARDIAN_TABS")


def student_tabs(*, membership, features=None):
    """The tabs of a pupil's record this member may open, in order; with the school's `features`
    (classpoint.flags), a tab of a switched-off module is left out, as its page answers 404."""
    return [tab for tab in _student_tabs() if tab.allowed(membership) and _on(tab, features)]


def guardian_tabs(*, membership, features=None):
    """The tabs of a guardian's page this member may open, in order."""
    return [tab for tab in _guardian_tabs() if tab.allowed(membership) and _on(tab, features)]


def _on(tab, features):
    return features is None or url_on(features, tab.url_name)


def student_tab(key):
    """The declared student tab `key`, whoever may open it (a view reads its permission), or None."""
    return next((tab for tab in _student_tabs() if tab.key == key), None)


def guardian_tab(key):
    return next((tab for tab in _guardian_tabs() if tab.key == key), None)


def links(tabs, *, slug, object_id, current):
    """[{key, label, url, current}] for a page's tab bar."""
    return [
        {
            "key": tab.key,
            "label": tab.label,
            "url": reverse(tab.url_name, args=[slug, object_id]),
            "current": tab.key == current,
        }
        for tab in tabs
    ]
