"""Every page's words are marked for translation: the text a reader sees in a template (between tags,
and in the attributes a reader meets — placeholder, title, aria-label, alt) sits inside
`{% translate %}` / `{% blocktranslate %}`, so a language can be added by translating the catalogue
without touching a template. Staff pages ship in English; guardian pages in English, Spanish and Yoruba.

What is left once template tags, variables and translated blocks are taken out must hold no words.
A template that shows no text of its own (a partial of variables, a bare layout) passes as it is."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(settings.BASE_DIR)
# The product's name and the few tokens that read the same in every language.
ALLOWED = {"Classpoint", "CSV", "PDF", "SMS", "API", "TOTP", "WhatsApp", "HTMX", "QR", "ID", "URL"}
VISIBLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
HOLE = "\x00"  # where a tag or variable stood
WORD = re.compile(r"[^\W\d_]{2,}")


def templates():
    found = []
    for folder in [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]:
        if ".venv" in folder.parts:
            continue
        found += sorted(folder.rglob("*.html"))
    return found


def without_template_code(source):
    """The template's HTML with every tag, variable, comment and translated block replaced by HOLE."""
    out, skip_until = [], None
    for token in Lexer(source).tokenize():
        if skip_until:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] in skip_until:
                skip_until = None
            continue
        if token.token_type == TokenType.TEXT:
            out.append(token.contents)
            continue
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0]
            if name in ("blocktranslate", "blocktrans"):
                skip_until = ("endblocktranslate", "endblocktrans")
            elif name == "comment":
                skip_until = ("endcomment",)
            elif name == "verbatim":
                skip_until = ("endverbatim",)
        out.append(HOLE)
    return "".join(out)


class _Words(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._raw = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._raw += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                self._check(value, f"{tag}[{name}]")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._raw:
            self._raw -= 1

    def handle_data(self, data):
        if not self._raw:
            self._check(data, "text")

    def _check(self, text, where):
        words = [w for w in WORD.findall(text.replace(HOLE, " ")) if w not in ALLOWED]
        if words:
            self.found.append(f"{where}: {' '.join(text.replace(HOLE, '…').split())[:80]!r}")


def untranslated(path):
    parser = _Words()
    parser.feed(without_template_code(path.read_text(encoding="utf-8")))
    parser.close()
    return parser.found


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_word_a_reader_sees_is_marked_for_translation(path):
    assert untranslated(path) == []


def test_the_check_finds_words_left_outside_translate_tags(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}<h1>{% translate "Invoices" %}</h1><p>{{ count }} due</p>'
        '<input placeholder="Search"><script>let x = "word";</script>'
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}{# note #}<b>{{ total }}</b> · CSV"
    )
    assert untranslated(page) == ["text: '… due'", "input[placeholder]: 'Search'"]
