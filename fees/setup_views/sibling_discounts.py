"""Sibling discounts: the percentage off for a family's second, third… child."""

import re

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from classpoint.tenancy import school_view

from .. import setup
from ..errors import FeesError
from ..models import SiblingDiscount
from .common import forbidden, may_manage, route_errors, small_int

BLANK_RULES = 2
_RULE_KEY = re.compile(r"^rules-([0-9]{1,2})-(?:child_position|percent)$")


def _posted_rules(data):
    indices = sorted({int(m.group(1)) for key in data if (m := _RULE_KEY.match(key))})
    return [
        {
            "index": i,
            "child_position": data.get(f"rules-{i}-child_position", "").strip(),
            "percent": data.get(f"rules-{i}-percent", "").strip(),
            "errors": {},
        }
        for i in indices
    ]


@school_view(perm="fees.view")
@require_http_methods(["GET", "POST"])
def discounts(request):
    school = request.school
    current = list(SiblingDiscount.objects.for_school(school).order_by("child_position"))
    can_manage = may_manage(request)
    if request.method == "GET":
        rows = [
            {
                "index": i,
                "child_position": str(rule.child_position),
                "percent": f"{rule.percent.normalize():f}",
                "errors": {},
            }
            for i, rule in enumerate(current)
        ]
        rows += [
            {"index": len(rows) + i, "child_position": "", "percent": "", "errors": {}} for i in range(BLANK_RULES)
        ]
        return render(
            request,
            "fees/setup_discounts.html",
            {"rules": current, "rows": rows, "can_manage": can_manage, "summary": []},
        )
    if not can_manage:
        return forbidden(request)
    rows = _posted_rules(request.POST)
    rules, sources = [], []
    for row in rows:
        if not (row["child_position"] or row["percent"]):
            continue  # an emptied row removes its rule
        rule = {"child_position": small_int(row["child_position"]), "percent": None}
        if rule["child_position"] is None:
            row["errors"]["child_position"] = [
                _("Enter the child's position: 2 for the second child, 3 for the third…")
            ]
        try:
            rule["percent"] = setup.parse_percent(row["percent"])
        except ValueError as exc:
            row["errors"]["percent"] = [str(exc)]
        rules.append(rule)
        sources.append(row)
    page_errors = {}
    route_errors(setup.sibling_rule_errors(rules), sources, prefix="rules", errors=page_errors)
    if not any(row["errors"] for row in rows):
        try:
            setup.sibling_discounts_replace(school=school, actor=request.user, rules=rules)
        except FeesError as exc:
            route_errors(exc.fields, sources, prefix="rules", errors=page_errors)
            page_errors.setdefault("__all__", []).append(exc.message)
        else:
            messages.success(request, _("Sibling discounts saved. They apply to invoices made from now on."))
            return redirect("fee-setup-discounts", school.slug)
    summary = [
        (_("Rule %(number)s") % {"number": row["index"] + 1}, error)
        for row in rows
        for errs in row["errors"].values()
        for error in errs
    ]
    summary += [("", error) for errs in page_errors.values() for error in errs]
    errors = {f"rules.{row['index']}.{field}": errs for row in rows for field, errs in row["errors"].items()}
    context = {"rules": current, "rows": rows, "can_manage": can_manage, "summary": summary, "errors": errors}
    return render(request, "fees/setup_discounts.html", context, status=400)
