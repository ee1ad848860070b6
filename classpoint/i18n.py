"""The language a guardian reads Classpoint in. Staff pages stay in the deployment's language
(LANGUAGE_CODE); only views marked `@guardian_page` are translated, each in the languages it is
complete in (every guardian page: English and Spanish; the public application form: Yoruba too).

The choice, first that applies and that the page offers:
1. `?lang=es` on the URL: what the reader just picked from the switcher (remembered in a cookie);
2. the cookie: what the reader picked on an earlier page;
3. what the page knows about its reader, given by the view once it has opened its signed link
   (`settle(request, guardian.preferred_language, school_language(school))`): the guardian's own
   language, then the school's default;
4. the browser's Accept-Language;
5. English.

Django's LocaleMiddleware is not used: it would translate every page, staff ones included, from
the browser's settings, and it cannot know the guardian a signed link names."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

QUERY_PARAM = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# The languages every guardian page is complete in; a page may offer more (or fewer).
GUARDIAN_LANGUAGES = ("en", "es")
# The public application form is translated into Yoruba as well.
PUBLIC_FORM_LANGUAGES = ("en", "es", "yo")
FALLBACK = "en"


def language_names():
    """{code: the language's own name} from settings.LANGUAGES ("es" -> "Español")."""
    return dict(settings.LANGUAGES)


def supported(code, offered=None):
    """`code` as one of settings.LANGUAGES ("es-MX" and "ES" -> "es") if it is among `offered`
    (default: all of them), else ""."""
    if not isinstance(code, str):
        return ""
    code = code.strip().lower().replace("_", "-")
    known = language_names()
    for candidate in (code, code.split("-")[0]):
        if candidate in known and (offered is None or candidate in offered):
            return candidate
    return ""


def school_language(school):
    """The school's default language for guardians (its profile's `default_language`), or "" when
    the school has no profile. Read by attribute, so the kernel names no app."""
    profile = getattr(school, "profile", None)  # a missing one-to-one row raises AttributeError
    return supported(getattr(profile, "default_language", ""))


def guardian_page(view=None, *, languages=GUARDIAN_LANGUAGES):
    """Mark a view as read by guardians in `languages` (GuardianLanguageMiddleware translates it).
    `@guardian_page` or `@guardian_page(languages=PUBLIC_FORM_LANGUAGES)`."""

    def mark(func):
        func.guardian_languages = tuple(languages)
        return func

    return mark(view) if view is not None else mark


@dataclass
class Choice:
    offered: tuple
    code: str
    chosen: bool  # the reader picked it (?lang= or the cookie): nothing the page knows overrides it
    remember: bool = False  # picked on this request: set the cookie


def _from_browser(request, offered):
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if found := supported(code, offered):
            return found
    return ""


def choose(request, offered):
    """The language for a guardian page before the view knows its reader, activated."""
    if picked := supported(request.GET.get(QUERY_PARAM), offered):
        choice = Choice(offered, picked, chosen=True, remember=True)
    elif kept := supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME), offered):
        choice = Choice(offered, kept, chosen=True)
    else:
        code = _from_browser(request, offered) or (FALLBACK if FALLBACK in offered else offered[0])
        choice = Choice(offered, code, chosen=False)
    request.guardian_language = choice
    _activate(request, choice.code)
    return choice


def settle(request, *preferred):
    """What the page knows about its reader, most specific first (the guardian's language, the
    school's default): the first the page offers becomes the page's language unless the reader
    picked one. Call before rendering. Returns the language in use."""
    choice = getattr(request, "guardian_language", None)
    if choice is None:
        return translation.get_language()
    if not choice.chosen:
        for code in preferred:
            if found := supported(code, choice.offered):
                choice.code = found
                _activate(request, found)
                break
    return choice.code


def current(request):
    """The language of this guardian page ("" on a page that is not one)."""
    choice = getattr(request, "guardian_language", None)
    return choice.code if choice is not None else ""


def switch_links(request):
    """[{code, name, url, current}] for the language switcher: this page in each language it
    offers, keeping the rest of the query string."""
    choice = getattr(request, "guardian_language", None)
    if choice is None:
        return []
    names = language_names()
    params = [(k, v) for k, values in request.GET.lists() if k != QUERY_PARAM for v in values]
    return [
        {
            "code": code,
            "name": names[code],
            "url": f"{request.path}?{urlencode([*params, (QUERY_PARAM, code)])}",
            "current": code == choice.code,
        }
        for code in choice.offered
        if code in names
    ]


def _activate(request, code):
    translation.activate(code)
    request.LANGUAGE_CODE = code


class GuardianLanguageMiddleware:
    """Translates the views marked `@guardian_page` and only those (see the module's docstring);
    the language is active from the view to the rendered response, then put back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.guardian_language = None
        try:
            response = self.get_response(request)
        finally:
            choice = request.guardian_language
            if choice is not None:
                translation.deactivate()
        if choice is not None:
            if choice.remember:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    choice.code,
                    max_age=COOKIE_MAX_AGE,
                    samesite="Lax",
                    httponly=True,
                    secure=settings.SESSION_COOKIE_SECURE,
                )
            patch_vary_headers(response, ("Cookie", "Accept-Language"))
            response.headers.setdefault("Content-Language", choice.code)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        offered = getattr(view_func, "guardian_languages", None)
        if offered:
            choose(request, offered)
