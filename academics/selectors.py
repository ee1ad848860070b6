"""Reads for the timetable pages: a week grid (weekdays across, lesson periods down) for a class
group or a teacher. Two queries whatever the size of the timetable."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from .models import ScheduleSlot, SlotSeat, Weekday
from .services import span

SCHOOL_WEEK = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)


@dataclass
class GridCell:
    day: Weekday
    slots: list = field(default_factory=list)


@dataclass
class GridRow:
    start: object
    end: object
    cells: list = field(default_factory=list)  # one GridCell per day of WeekGrid.days

    @property
    def label(self):
        return span(self.start, self.end)


@dataclass
class WeekGrid:
    days: list
    rows: list
    slot_count: int


def timetable_slots(*, school, term, class_group=None, teacher=None):
    slots = ScheduleSlot.objects.for_school(school).filter(term=term)
    if class_group is not None:
        slots = slots.filter(class_group=class_group)
    if teacher is not None:
        slots = slots.filter(teacher=teacher)
    return (
        slots.select_related("class_group", "teacher")
        .annotate(seats_taken=Count("seats"))
        .order_by("weekday", "start_time", "class_group__name", "id")
    )


def slots_for_placement(*, school, term, level, class_group=None):
    """The term's slots of every class of `level`, and of `class_group` if given, with their class
    and teacher, ordered by class (level, name) then time: what the registrar offers an applicant."""
    wanted = Q(class_group__level=level)
    if class_group is not None:
        wanted |= Q(class_group=class_group)
    return (
        ScheduleSlot.objects.for_school(school)
        .filter(wanted, term=term)
        .select_related("class_group", "teacher")
        .order_by("class_group__level", "class_group__name", "weekday", "start_time", "id")
    )


def slots_of_classes(*, school, term, class_groups):
    """The term's slots of these class groups, in the timetable's own order."""
    return ScheduleSlot.objects.for_school(school).filter(term=term, class_group__in=class_groups)


def slot_ids_seated(*, school, application):
    """The ids of the slots `application` holds a seat in, as a set."""
    return set(SlotSeat.objects.for_school(school).filter(application=application).values_list("slot_id", flat=True))


def week_grid(*, school, term, class_group=None, teacher=None):
    """The grid for one class group or one teacher. Its rows are the periods the whole school uses in
    the term (so a free period shows as an empty cell, ready for a lesson); Saturday and Sunday
    appear only when some lesson falls on them."""
    slots = list(timetable_slots(school=school, term=term, class_group=class_group, teacher=teacher))
    used = set(
        ScheduleSlot.objects.for_school(school)
        .filter(term=term)
        .order_by()
        .values_list("weekday", "start_time", "end_time")
        .distinct()
    )
    used |= {(slot.weekday, slot.start_time, slot.end_time) for slot in slots}
    weekend = sorted({weekday for weekday, _, _ in used if weekday not in SCHOOL_WEEK})
    days = [Weekday(day) for day in (*SCHOOL_WEEK, *weekend)]
    column = {day.value: index for index, day in enumerate(days)}
    rows = {}
    for start, end in sorted({(start, end) for _, start, end in used}):
        rows[(start, end)] = GridRow(start, end, [GridCell(day) for day in days])
    for slot in slots:
        rows[(slot.start_time, slot.end_time)].cells[column[slot.weekday]].slots.append(slot)
    return WeekGrid(days=days, rows=list(rows.values()), slot_count=len(slots))


def student_report_cards(*, school, student):
    """The pupil's published report cards (withheld ones too: staff see what the family does not),
    newest term first, with the term, the class and its form teacher (who may see the card)."""
    from .models import ReportCard

    return list(
        ReportCard.objects.for_school(school)
        .filter(student=student, published_at__isnull=False)
        .select_related("term__session", "class_group__form_teacher")
        .order_by("-term__start_date", "-term_id")
    )
