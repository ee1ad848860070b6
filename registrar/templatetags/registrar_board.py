"""The board's card, rendered in Python.

A board page shows up to 175 cards and the lead-queue fragment 25, under budgets of 80 and 30 ms
for the whole request (bench/registrar.py). As a Django template a card cost more than the rest of
the request together; here each value is escaped once and the markup joined as strings. The markup
is what a template would give: a focusable list item named by the applicant, the facts and badges,
and one button per allowed move that works as a plain form post (through the page's `card-moves`
form) and, with htmx, posts in place.
"""

from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

register = template.Library()

CLOSING = {"rejected", "withdrawn"}


def _badges(card):
    badges = ""
    if card.open_duplicates:
        badges += ' · <span class="badge badge-dup">Possible duplicate</span>'
    if card.missing_documents:
        badges += f' · <span class="badge badge-missing">Missing docs {int(card.missing_documents)}</span>'
    if card.is_stale:
        badges += ' · <span class="badge badge-stale">Stale</span>'
    return badges


def _moves(card, url, name, reference):
    parts = []
    move_url = f"{url}move/"
    for status, label, key in card.moves:
        label, key = escape(label), escape(key)
        if status == "needs_info":
            # Needs info asks what is missing: the panel's form, not a blind move.
            link = f"{url}?tab=overview&amp;move=needs_info"
            parts.append(
                f'<a class="button small" href="{link}" hx-get="{link}" hx-target="#panel" hx-push-url="true" '
                f'data-move="{key}" aria-keyshortcuts="{key}">{label}'
                f'<span class="visually-hidden"> for {name}</span></a>'
            )
            continue
        closing = status in CLOSING
        confirm = f' hx-confirm="{label} {name} ({reference})? This closes the application."' if closing else ""
        css = "small quiet" if closing else "small"
        parts.append(
            f'<button type="submit" form="card-moves" formaction="{move_url}" class="{css}" '
            f'name="to_status" value="{escape(status)}" hx-post="{move_url}" hx-target="#board-status" '
            f'data-move="{key}" aria-keyshortcuts="{key}"{confirm}>{label}<span class="visually-hidden"> {name}</span>'
            "</button>"
        )
    return f'<div class="app-card-moves">{"".join(parts)}</div>' if parts else ""


@register.simple_tag
def board_card(card, board_url):
    """One card; `board_url` is the board's own URL (/s/<slug>/registrar/), under which each
    application lives at <id>/ (registrar/urls.py)."""
    pk = int(card.pk)
    url = f"{escape(board_url)}{pk}/"
    name, reference, level = escape(card.full_name), escape(card.reference), escape(card.class_level)
    submitted = timezone.localtime(card.submitted_at)
    stale = " is-stale" if card.is_stale else ""
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<li class="app-card{stale}" id="app-{pk}" tabindex="-1" data-card="{pk}" aria-labelledby="app-{pk}-name" '
        f'aria-describedby="app-{pk}-meta">'
        f'<div class="app-card-top"><input type="checkbox" name="ids" value="{pk}" form="bulk-form" id="sel-{pk}" '
        f'aria-label="Select {name} ({reference})">'
        f'<a id="app-{pk}-name" class="app-card-name" href="{url}" hx-get="{url}" hx-target="#panel" '
        f'hx-push-url="true" data-open>{name}</a></div>'
        f'<p class="app-card-meta" id="app-{pk}-meta"><span>{reference}</span> · <span>{level}</span> · '
        f'<time datetime="{submitted.isoformat()}" title="Submitted {submitted.day} {submitted:%b %Y, %H:%M}">'
        f"{escape(card.submitted_ago)}</time>{_badges(card)}</p>"
        f"{_moves(card, url, name, reference)}</li>"
    )
