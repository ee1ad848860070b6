from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from classpoint.money import format_money
from classpoint.scoping import unscoped
from registrar.kpi import kpi_aggregate, kpi_backfill
from registrar.models import RegistrationKpiDaily, RevenueDaily
from schools.commands import Days, active_schools, add_day_arguments


class Command(BaseCommand):
    help = (
        "Write the KPI sinks (RegistrationKpiDaily, RevenueDaily) for school-local days. Idempotent: a day "
        "written again gets the same rows. Default: yesterday, in each active school's own time zone."
    )

    def add_arguments(self, parser):
        add_day_arguments(parser)

    @unscoped(reason="an operator's aggregation, one school or all of them")
    def handle(self, *args, date=None, start=None, end=None, school=None, **options):
        days = Days.from_options(date=date, start=start, end=end)
        for s in active_schools(school):
            first, last, is_range = days.for_school(s)
            try:
                if is_range:
                    self._range(s, first, last)
                else:
                    self._day(s, first)
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
