"""What the fee set-up pages share: permission checks, lenient integer parsing, and routing a
service's field errors onto the rows of a page."""

import re

from django.shortcuts import render


def small_int(text):
    """An id or a position typed or posted as plain ASCII digits, else None (never a 500)."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text or "") else None


def may_manage(request):
    return request.membership.has_perm("fees.manage")


def forbidden(request):
    return render(request, "403.html", {"perm": "fees.manage"}, status=403)


def route_errors(fields, sources, *, prefix, form=None, errors=None, renames=None):
    """Put a service's field errors where the page shows them: `<prefix>.<i>.<field>` on the row
    that line `i` came from (blank rows are not lines), the rest on the form or the page."""
    renames = renames or {}
    for key, messages_ in fields.items():
        parts = key.split(".")
        if parts[0] == prefix and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(sources):
            row_errors = sources[int(parts[1])]["errors"]
            field = renames.get(parts[2], parts[2])
            if field not in row_errors:  # the form's own message for that input comes first
                row_errors[field] = list(messages_)
        elif form is not None and key in form.fields:
            for message in messages_:
                form.add_error(key, message)
        elif errors is not None:
            errors.setdefault(prefix if key == prefix else "__all__", []).extend(messages_)
