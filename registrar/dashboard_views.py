"""The school home (/s/<slug>/): the KPI dashboard for members with `dashboard.view`, a plain
home (current term, students, classes) for the others.

Charts are server-rendered SVG: no script, a <title> and <desc> that say what they show, and the
figures as a table behind a disclosure for whoever cannot see the bars."""

import math

from django.core.cache import cache
from django.shortcuts import render
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from classpoint.money import currency_symbol, format_money
from classpoint.replica import reads_may_lag
from classpoint.tenancy import school_view
from schools import selectors as schools_selectors

from . import kpi

# The chart's drawing box (SVG user units; it scales to the page's width).
WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 14, 34


def _period(value):
    try:
        days = int(value or kpi.PERIODS[0])
    except ValueError:
        return kpi.PERIODS[0]
    return days if days in kpi.PERIODS else kpi.PERIODS[0]


@require_GET
@vary_on_headers("HX-Request")
@school_view()
@reads_may_lag
def school_home(request):
    school = request.school
    partial = request.htmx and not request.htmx.history_restore_request
    context = {}
    if not partial or not request.membership.has_perm("dashboard.view"):
        # The page's header (the period switch swaps only the body below it). Counting a large
        # school's pupils costs more than the rest of the page, so the counts are kept a minute.
        counts = cache.get_or_set(
            f"school-home-counts:{school.pk}",
            lambda: schools_selectors.school_counts(school=school),
            HEAD_COUNTS_SECONDS,
        )
        context = {
            "term": school.current_term(),
            "student_count": counts["students"],
            "student_count_display": f"{counts['students']:,}",
            "class_count": counts["classes"],
        }
    if not request.membership.has_perm("dashboard.view"):
        return render(request, "schools/home.html", context)
    summary = kpi.dashboard_summary(school=school, days=_period(request.GET.get("period")))
    context.update(dashboard_context(summary, request.membership))
    return render(request, "registrar/partials/dashboard_body.html" if partial else "registrar/dashboard.html", context)


HEAD_COUNTS_SECONDS = 60


def dashboard_context(summary, membership):
    links = summary["links"]
    tiles = [
        {**tile, "url": kpi.link_for(links[tile["key"]], membership), "figure": _breakable(tile["display"])}
        for tile in summary["tiles"]
    ]
    rail = kpi.rail_for(summary, membership)
    days = summary["period_days"]
    currency = summary["currency"]
    charts = [
        bar_chart(
            summary["series"],
            key="leads",
            name="leads",
            title=gettext("Leads per day, last %(days)s days") % {"days": days},
            label=lambda v: f"{v:,}",
            axis=lambda v: f"{v:,.0f}" if v == int(v) else f"{v:,.1f}",
        ),
        bar_chart(
            summary["series"],
            key="collected_minor",
            name="revenue",
            title=gettext("Revenue collected per day, last %(days)s days") % {"days": days},
            label=lambda v: format_money(v, currency),
            axis=lambda v: _short_money(v, currency),
        ),
    ]
    # Both series in one table, newest first; dates formatted here (the template's date filter
    # costs more than the rest of the page on a year of days).
    figures = [
        {
            "day": f"{p['day']:%a} {p['day'].day} {p['day']:%b %Y}",
            "leads": f"{p['leads']:,}",
            "revenue": format_money(p["collected_minor"], currency),
        }
        for p in reversed(summary["series"])
    ]
    return {
        "summary": summary,
        "tiles": tiles,
        "rail": rail,
        "charts": charts,
        "figures": figures,
        # A year is 365 rows: joined here, escaped once, rather than through the template's loop.
        "figure_rows": format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>',
            ((row["day"], row["leads"], row["revenue"]) for row in figures),
        ),
        "periods": [
            {"days": p, "label": ngettext("%(days)s day", "%(days)s days", p) % {"days": p}, "current": p == days}
            for p in kpi.PERIODS
        ],
    }


def _breakable(figure):
    """A figure that may wrap after its thousands separators, never inside a group of digits: a
    large amount in a narrow tile breaks as "₦23,394,<wbr>000.00" rather than spilling out."""
    return format_html_join(mark_safe(",<wbr>"), "{}", ((part,) for part in figure.split(",")))  # noqa: S308


def _nice_ceiling(value):
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value` (axis maximum)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _short_money(amount_minor, currency):
    major = amount_minor / 100
    symbol = currency_symbol(currency)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(major) >= size:
            return f"{symbol}{major / size:.3g}{suffix}"
    # Three significant figures, so an axis topping out at ₦1 reads ₦1, ₦0.5, ₦0 (not ₦1, ₦0, ₦0).
    return f"{symbol}{major:.3g}"


def _day_label(day, year):
    return f"{day.day} {day:%b}" if day.year == year else f"{day.day} {day:%b %Y}"


def bar_chart(series, *, key, name, title, label, axis=None):
    """One bar per day as a single SVG path, three labelled gridlines (one when all is zero), the
    first, middle and last days on the x axis, and a summary for <desc> (total, busiest day, today
    so far)."""
    axis = axis or label
    year = series[-1]["day"].year

    def day(i):
        return _day_label(series[i]["day"], year)

    values = [point[key] for point in series]
    n = len(values)
    top = _nice_ceiling(max([*values, 0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    band = plot_w / n
    bar = max(band * (0.7 if n <= 90 else 1.0), 0.8)
    base = TOP + plot_h
    bars = []
    for i, value in enumerate(values):
        if value <= 0:
            continue
        height = max(value / top * plot_h, 1.0)
        x = LEFT + i * band + (band - bar) / 2
        bars.append(f"M{x:.2f} {base - height:.2f}h{bar:.2f}V{base}h{-bar:.2f}Z")
    # With nothing to draw, any scale is made up: one gridline, the base, says zero.
    fractions = (0, 0.5, 1) if max(values, default=0) > 0 else (0,)
    grid = [{"y": round(TOP + plot_h * (1 - f), 2), "label": axis(top * f)} for f in fractions]
    ticks = []
    for i in sorted({0, n // 2, n - 1}):
        ticks.append({"x": round(LEFT + i * band + band / 2, 2), "label": day(i)})
    total = sum(values)
    busiest = max(range(n), key=lambda i: (values[i], i)) if n else None
    if total:
        desc = gettext(
            "Total %(total)s from %(first)s to %(last)s; busiest day %(busiest)s with %(most)s; today so far %(today)s."
        ) % {
            "total": label(total),
            "first": day(0),
            "last": day(n - 1),
            "busiest": day(busiest),
            "most": label(values[busiest]),
            "today": label(values[-1]),
        }
    else:
        desc = gettext("Nothing from %(first)s to %(last)s.") % {"first": day(0), "last": day(n - 1)}
    return {
        "id": name,
        "title": title,
        "desc": desc,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "base": base,
        "text_y": HEIGHT - 10,
        "path": "".join(bars),
        "grid": grid,
        "ticks": ticks,
    }
