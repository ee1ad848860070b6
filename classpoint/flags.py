"""Feature flags: switches stored per school (a school's own row wins over the global one), and the
catalogue of what a school may switch off.

Each app declares its switchable parts in `<app>/features.py` (found by
`classpoint.discovery.app_modules`) as a list `FEATURES` of `Feature`s: a module (online payments,
attendance, results, public applications) or a messaging channel (SMS, WhatsApp, email). A module
names the URLs that exist only while it is on (`url_names`, exact or ending in `*`); the
`FeatureGateMiddleware` below answers 404 for them when the module is off for the request's school,
exactly as for a page that does not exist. That is the one place a switched-off module is enforced
for pages, the API and public links alike; what is not a URL (a channel the pipeline must not send
by, a pay link in a message) asks `feature_on` where it acts.

A catalogued feature with no row anywhere has its declared default: modules default on, so a school
that never touched its settings keeps every module.
"""

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from .discovery import app_modules
from .models import FeatureFlag

MODULE = "module"
CHANNEL = "channel"


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    description: str
    group: str = MODULE  # MODULE (the settings' Features section) or CHANNEL (its Messaging section)
    default: bool = True
    # The URL names that exist only while the feature is on: exact, or a prefix ending in "*".
    url_names: tuple[str, ...] = ()
    # For those of `url_names` whose path names no school (a signed link): (url name, view kwargs) ->
    # the id of the school the link belongs to, or None when it names none (the view answers that).
    school_of: Callable[[str, dict], int | None] | None = None


def flag_enabled(school, key, default=False):
    """The school's own flag if it has one, else the global flag, else `default`."""
    rows = dict(
        FeatureFlag.objects.filter(Q(school=school) | Q(school__isnull=True), key=key).values_list(
            "school_id", "enabled"
        )
    )
    school_id = getattr(school, "pk", None)
    if school_id in rows:
        return rows[school_id]
    return rows.get(None, default)


# --- The catalogue ---------------------------------------------------------------------------


@functools.cache
def catalogue() -> dict[str, Feature]:
    """Every declared feature by key, in INSTALLED_APPS order."""
    found = {}
    for module in app_modules("features"):
        for feature in getattr(module, "FEATURES", ()):
            if feature.key in found:
                raise ImproperlyConfigured(f"Feature {feature.key!r} is declared twice ({module.__name__}).")
            if feature.group not in (MODULE, CHANNEL):
                raise ImproperlyConfigured(f"Feature {feature.key!r}: group must be {MODULE!r} or {CHANNEL!r}.")
            found[feature.key] = feature
    return found


def features(group=None) -> list[Feature]:
    return [f for f in catalogue().values() if group is None or f.group == group]


@functools.cache
def feature_for_url(url_name) -> Feature | None:
    """The feature a URL name belongs to, or None for a URL every school has."""
    if not url_name:
        return None
    for feature in catalogue().values():
        for pattern in feature.url_names:
            if fnmatchcase(url_name, pattern):
                return feature
    return None


# --- Reading a school's switches -------------------------------------------------------------


def url_on(states, url_name) -> bool:
    """Whether the URL named `url_name` exists for a school with these switches (`states`: a
    `SchoolFeatures` or {key: on}); a URL no feature claims always does. For code that lists links
    of several apps (a record's tabs, a dashboard's panels) and must leave out a switched-off one."""
    feature = feature_for_url(url_name)
    return feature is None or bool(states.get(feature.key, feature.default))


def _states(school_filter) -> dict[str, bool]:
    known = catalogue()
    rows = FeatureFlag.objects.filter(Q(school__isnull=True) | school_filter, key__in=list(known)).values_list(
        "key", "school_id", "enabled"
    )
    global_rows, own_rows = {}, {}
    for key, school_id, enabled in rows:
        (global_rows if school_id is None else own_rows)[key] = enabled
    return {key: own_rows.get(key, global_rows.get(key, f.default)) for key, f in known.items()}


def school_states(school) -> dict[str, bool]:
    """{key: on} for every catalogued feature at `school`, in one query."""
    return _states(Q(school=school))


def feature_on(school, key) -> bool:
    """Whether the catalogued feature `key` is on at `school` (a school or its id)."""
    if key not in catalogue():
        raise KeyError(f"No feature {key!r} is declared in any <app>/features.py")
    return _states(Q(school=school))[key]


class SchoolFeatures(Mapping):
    """A school's switches, read on first use (one query) and then kept: `features.attendance` in
    a template, `features["whatsapp"]` in code. An unknown key is missing (false in a template).
    Without a school every feature has its default."""

    def __init__(self, school=None, *, states=None):
        self._school = school
        self._states = states

    def _load(self):
        if self._states is None:
            if self._school is None:
                self._states = {key: f.default for key, f in catalogue().items()}
            else:
                self._states = school_states(self._school)
        return self._states

    def __getitem__(self, key):
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def on(self, group=None):
        """The keys switched on (of one group)."""
        return {key for key, on in self._load().items() if on and (group is None or catalogue()[key].group == group)}


def request_features(request) -> SchoolFeatures:
    """The switches of the request's school (`request.school`, set by the tenancy), read once per
    request whichever asks first: the gate, a view, the nav."""
    school = getattr(request, "school", None)
    cached = getattr(request, "_school_features", None)
    if cached is not None and school is not None and cached[0] in (("id", school.pk), ("slug", school.slug)):
        return cached[1]
    features_ = SchoolFeatures(school)
    if school is not None:
        request._school_features = (("id", school.pk), features_)
    return features_


# --- Writing them ----------------------------------------------------------------------------


def school_flags_set(*, school, values: Mapping[str, bool]) -> dict[str, list[bool]]:
    """Store the school's own switch for each catalogued key in `values` whose state changes. Returns
    {key: [before, after]} for the caller's audit entry (it runs inside the caller's transaction)."""
    known = catalogue()
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise KeyError(f"Unknown features: {', '.join(unknown)}")
    before = school_states(school)
    changes = {}
    for key, on in values.items():
        on = bool(on)
        if before[key] != on:
            FeatureFlag.objects.update_or_create(key=key, school=school, defaults={"enabled": on})
            changes[key] = [before[key], on]
    return changes


# --- The gate --------------------------------------------------------------------------------


def _school_ref(feature, url_name, kwargs):
    """("slug", slug) or ("id", id) of the school a gated URL is for, or None when it names none."""
    slug = kwargs.get("slug") or kwargs.get("school_slug")
    if slug:
        return "slug", str(slug)
    if feature.school_of is not None:
        school_id = feature.school_of(url_name, kwargs)
        if school_id:
            return "id", int(school_id)
    return None


class FeatureGateMiddleware:
    """A URL of a module the school switched off answers 404, for staff pages, the API and public
    links alike, before any view runs (so a member learns no more than from a page that never
    existed). One query, on the gated URLs only; the states read are kept for the request's nav."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        feature = feature_for_url(match.url_name) if match is not None else None
        if feature is None:
            return None
        ref = _school_ref(feature, match.url_name, view_kwargs)
        if ref is None:
            return None
        kind, value = ref
        states = SchoolFeatures(states=_states(Q(school__slug=value) if kind == "slug" else Q(school_id=value)))
        request._school_features = (ref, states)
        if states[feature.key]:
            return None
        from .views import not_found

        return not_found(request)
