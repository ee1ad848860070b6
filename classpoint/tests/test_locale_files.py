"""The committed translations: each compiled .mo says exactly what its .po says (nothing compiles them
at deploy or in CI), and the guardian pages' strings are all translated where the issue promises it
(Spanish everywhere a guardian reads; Yoruba on the application form and the pages its links open).

The .po files are read with a small parser of our own (the subset makemessages writes), and the .mo
files with Python's gettext, so the check needs no GNU gettext on the machine."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.LOCALE_PATHS[0])
LANGUAGES = [code for code, _name in settings.LANGUAGES]

# Every file whose strings a guardian reads (the #: references makemessages writes).
GUARDIAN_FILES = {
    "academics/attendance/alerts.py",
    "registrar/forms.py",
    "registrar/public_views.py",
    "registrar/services/intake_checks.py",
    "payments/guardian_forms.py",
    "payments/guardian_views.py",
    "messaging/preferences.py",
    "messaging/rendering.py",
    "templates/public_base.html",
    "templates/partials/language_switcher.html",
    "templates/payments/guardian_invoice.html",
    "templates/payments/demo_checkout.html",
    "templates/payments/demo_checkout_done.html",
    "templates/messaging/preferences.html",
    "templates/academics/results/link/page.html",
}
APPLICATION_FILES = {
    "registrar/forms.py",
    "registrar/public_views.py",
    "registrar/services/intake_checks.py",
    "templates/public_base.html",
    "templates/partials/language_switcher.html",
}


def _is_application_page(ref):
    return ref in APPLICATION_FILES or ref.startswith("registrar/templates/registrar/public/")


def _is_guardian_page(ref):
    return ref in GUARDIAN_FILES or ref.startswith("registrar/templates/registrar/public/")


def read_po(path):
    """[{refs, flags, msgctxt, msgid, msgid_plural, msgstr: [..]}] of a .po file (header included)."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip("\n")):
        entry = {"refs": set(), "flags": set(), "msgctxt": None, "msgid_plural": None, "msgstr": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#:"):
                entry["refs"].update(line[2:].split())
            elif line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif match := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line):
                name, index, text = match.groups()
                key = (name, int(index or 0))
                value = ast.literal_eval(text)
                if name == "msgstr":
                    entry["msgstr"][key[1]] = value
                else:
                    entry[name] = value
            elif line.startswith('"') and key is not None:
                value = ast.literal_eval(line)
                if key[0] == "msgstr":
                    entry["msgstr"][key[1]] += value
                else:
                    entry[key[0]] += value
        entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
        entries.append(entry)
    return entries


def _catalog_key(entry):
    return entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"


def compiled_from_po(entries):
    """The catalogue msgfmt makes of `entries`: translated, non-fuzzy messages only."""
    catalog = {}
    for entry in entries[1:]:
        if "fuzzy" in entry["flags"] or not all(entry["msgstr"]):
            continue
        key = _catalog_key(entry)
        if entry["msgid_plural"] is None:
            catalog[key] = entry["msgstr"][0]
        else:
            for index, text in enumerate(entry["msgstr"]):
                catalog[(key, index)] = text
    return catalog


def compiled(path):
    with path.open("rb") as handle:
        catalog = dict(gettext.GNUTranslations(handle)._catalog)
    catalog.pop("", None)  # the header
    return catalog


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_compiled_catalogue_says_what_its_po_says(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert po.exists() and mo.exists(), f"{language}: commit both django.po and django.mo (see locale/README.md)"
    assert compiled(mo) == compiled_from_po(read_po(po)), (
        f"locale/{language}/LC_MESSAGES/django.mo is out of date: run msgfmt (see locale/README.md)"
    )


def _untranslated(language, is_wanted):
    entries = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")[1:]
    return sorted(
        entry["msgid"]
        for entry in entries
        if any(is_wanted(ref) for ref in entry["refs"]) and ("fuzzy" in entry["flags"] or not all(entry["msgstr"]))
    )


def test_every_string_a_guardian_reads_has_spanish():
    assert _untranslated("es", _is_guardian_page) == []


def test_the_application_pages_are_complete_in_yoruba():
    assert _untranslated("yo", _is_application_page) == []


def test_the_catalogues_cover_the_guardian_pages():
    # given the Spanish catalogue
    refs = set().union(*(entry["refs"] for entry in read_po(LOCALE / "es" / "LC_MESSAGES" / "django.po")))
    # then every guardian file and every public application template has its strings in it
    public = {str(p.relative_to(settings.BASE_DIR)) for p in (settings.BASE_DIR / "registrar").glob("**/public/*.html")}
    marked = {name for name in public if "translate" in (settings.BASE_DIR / name).read_text()}
    assert GUARDIAN_FILES - refs == set() and marked - refs == set()


def test_the_placeholders_of_each_translation_match_the_english():
    for language in ("es", "yo"):
        for entry in read_po(LOCALE / language / "LC_MESSAGES" / "django.po")[1:]:
            wanted = set(re.findall(r"%\(\w+\)[sd]", entry["msgid_plural"] or entry["msgid"]))
            for text in filter(None, entry["msgstr"]):
                assert set(re.findall(r"%\(\w+\)[sd]", text)) <= wanted, (language, entry["msgid"], text)
                if entry["msgid_plural"] is None:
                    assert set(re.findall(r"%\(\w+\)[sd]", text)) == wanted, (language, entry["msgid"], text)
