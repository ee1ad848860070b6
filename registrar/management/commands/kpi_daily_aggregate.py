import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from classpoint.money import format_money
from classpoint.scoping import unscoped
from registrar.kpi import kpi_aggregate, kpi_backfill
from registrar.models import RegistrationKpiDaily, RevenueDaily
from schools.models import School


def _date(value, option):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{option} must look like 2026-11-23 (got {value!r}).") from exc


class Command(BaseCommand):
    help = (
        "Write the KPI sinks (RegistrationKpiDaily, RevenueDaily) for school-local days. Idempotent: a day "
        "written again gets the same rows. Default: yesterday, in each active school's own time zone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="one day, YYYY-MM-DD")
        parser.add_argument("--from", dest="start", help="first day of a range to backfill, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day of the range (default: each school's yesterday)")
        parser.add_argument("--school", help="one school's slug (default: every active school)")

    @unscoped(reason="an operator's aggregation, one school or all of them")
    def handle(self, *args, date=None, start=None, end=None, school=None, **options):
        if date and (start or end):
            raise CommandError("Give either --date or --from/--to, not both.")
        if end and not start:
            raise CommandError("--to needs --from.")
        day = _date(date, "--date") if date else None
        start = _date(start, "--from") if start else None
        end = _date(end, "--to") if end else None
        if start and end and start > end:
            raise CommandError(f"--from {start} is after --to {end}.")
        schools = School.objects.filter(status=School.Status.ACTIVE)
        if school:
            schools = schools.filter(slug=school)
            if not schools.exists():
                raise CommandError(f"No active school with slug {school!r}.")
        for s in schools.order_by("slug"):
            yesterday = s.local_today() - datetime.timedelta(days=1)
            try:
                if start:
                    self._range(s, start, end or yesterday)
                else:
                    self._day(s, day or yesterday)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc

    def _day(self, school, day):
        registration, revenue = kpi_aggregate(school=school, day=day)
        money = school.currency
        self.stdout.write(
            f"{school.slug} {day}: {registration.leads} leads, {registration.in_review} to review, "
            f"{registration.needs_info} needs info, {registration.approved} approved, "
            f"{registration.converted} enrolled, {registration.rejected} rejected, "
            f"{registration.withdrawn} withdrawn; {format_money(revenue.collected_minor, money)} collected "
            f"({revenue.payments} payments), {format_money(revenue.invoiced_minor, money)} invoiced, "
            f"{format_money(revenue.outstanding_minor, money)} outstanding, {revenue.overdue_invoices} overdue invoices"
        )

    def _range(self, school, start, end):
        days = kpi_backfill(school=school, start=start, end=end)
        funnel = RegistrationKpiDaily.objects.for_school(school).filter(day__gte=start, day__lte=end)
        money = RevenueDaily.objects.for_school(school).filter(day__gte=start, day__lte=end)
        totals = funnel.aggregate(leads=Sum("leads"), converted=Sum("converted"))
        collected = money.aggregate(collected=Sum("collected_minor"))["collected"] or 0
        self.stdout.write(
            f"{school.slug} {start} to {end}: {days} days written; {totals['leads'] or 0} leads, "
            f"{totals['converted'] or 0} enrolled, {format_money(collected, school.currency)} collected"
        )
