"""API: score entry under /api/v1/schools/<slug>/results/ — the grids a member may open, one grid
(read it; save many cells), one cell, locking a class's term and amending a locked score.

A member who manages results opens every grid, locks, unlocks and amends; a member who enters scores
opens the grids a subject-teacher assignment gives them (another grid is a 403). Saves are judged
against what the client read: a row's `version` and each cell's `seen` text. A cell another save
changed since is not applied: a bulk save returns it under `conflicts`, a one-cell save answers 409
`score_conflict` with `fields.conflict` saying what the cell holds now, who saved it and the row's
version (save again over that version to keep yours). A locked class answers 409 `results_locked`.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from classpoint.api.base import ERRORS, ErrorSerializer, paginated, validated
from classpoint.api.fields import IdField
from classpoint.api.views import SchoolApiView
from classpoint.bounds import MAX_ID, parse_id

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import AssessmentComponent, ResultsLock, Subject
from ..results import grids, locks, scores

TAGS = ["results: scores"]
MAX_TEXT = 20
MAX_VERSION = 2**31 - 1


def _error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


FORBIDDEN = _error("Your role does not allow this, or `not_your_subject`: you do not teach this grid.")
NOT_FOUND = _error("No such term, class group or subject at this school (or a subject of another level).")
INVALID = _error(
    "`invalid` (the body's shape) or `score_invalid`: each bad cell named `cell-<student_id>-<component_id>` "
    "(out of range, not a score, no such assessment), each pupil not in the class `row-<student_id>`; nothing saved."
)
LOCKED = "`results_locked`: the class's term is locked (amend with a reason); or an Idempotency-Key reused."


class Ref(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SubjectRef(Ref):
    kind = serializers.CharField()


class GridSummaryOutput(serializers.Serializer):
    term_id = serializers.IntegerField(source="term.pk")
    class_group = Ref()
    subject = SubjectRef()
    teacher = serializers.CharField(help_text="The subject teacher's name; empty when nobody is assigned.")
    filled = serializers.IntegerField(help_text="Cells holding a score or ABS.")
    expected = serializers.IntegerField(help_text="Cells of a complete grid (an elective: of the pupils taking it).")
    locked = serializers.BooleanField()


class GridListQuery(serializers.Serializer):
    term = IdField(required=False, help_text="The term; the school's current term by default.")


class RowStateOutput(serializers.Serializer):
    student_id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="Send it back with the next save of the row.")
    cells = serializers.DictField(child=serializers.CharField(allow_blank=True), help_text="{component_id: text}")
    total = serializers.CharField(allow_blank=True, help_text="Half-up at one decimal; empty while no cell is filled.")
    grade = serializers.CharField(
        allow_blank=True, help_text="The grade of the total; empty until the row is complete."
    )
    complete = serializers.BooleanField()


class GridRowOutput(RowStateOutput):
    admission_number = serializers.CharField()
    name = serializers.CharField()


class ComponentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)


class GridOutput(serializers.Serializer):
    term_id = serializers.IntegerField()
    class_group = Ref()
    subject = SubjectRef()
    teacher = serializers.CharField()
    locked = serializers.BooleanField()
    components = ComponentOutput(many=True)
    rows = GridRowOutput(many=True)


class ScoreConflictOutput(serializers.Serializer):
    student_id = serializers.IntegerField()
    component_id = serializers.IntegerField()
    mine = serializers.CharField(allow_blank=True, help_text="What this save wanted (not applied).")
    text = serializers.CharField(allow_blank=True, help_text="What the cell holds now.")
    updated_by = serializers.CharField(allow_blank=True, help_text="Who saved the row last.")
    version = serializers.IntegerField(help_text="The row's version now: save over it to keep yours.")
    row = RowStateOutput()


class GridSavedOutput(serializers.Serializer):
    applied = serializers.IntegerField(help_text="Cells changed.")
    rows = RowStateOutput(many=True)
    conflicts = ScoreConflictOutput(many=True)


class CellInput(serializers.Serializer):
    seen = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=MAX_TEXT,
        help_text="The text the client showed; null: judged by the row's version only.",
    )
    new = serializers.CharField(allow_blank=True, max_length=MAX_TEXT, help_text="A score, ABS, or blank.")


class RowInput(serializers.Serializer):
    student_id = IdField()
    version = serializers.IntegerField(min_value=0, max_value=MAX_VERSION, help_text="The row's version as read.")
    cells = serializers.DictField(child=CellInput(), help_text="{component_id: {seen, new}}")


class GridSaveInput(serializers.Serializer):
    rows = RowInput(many=True, max_length=scores.MAX_ROWS)


class CellSaveInput(serializers.Serializer):
    student_id = IdField()
    component_id = IdField()
    text = serializers.CharField(allow_blank=True, max_length=MAX_TEXT, help_text="A score, ABS, or blank.")
    seen_version = serializers.IntegerField(min_value=0, max_value=MAX_VERSION)
    seen_text = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=MAX_TEXT)


class LockInput(serializers.Serializer):
    term = IdField()
    class_group = IdField()


class LockOutput(serializers.Serializer):
    term_id = serializers.IntegerField()
    class_group_id = serializers.IntegerField()
    locked_at = serializers.DateTimeField()
    locked_by = serializers.CharField(allow_blank=True)


class AmendmentInput(serializers.Serializer):
    term = IdField()
    class_group = IdField()
    subject = IdField()
    student = IdField()
    component = IdField()
    text = serializers.CharField(allow_blank=True, max_length=MAX_TEXT, help_text="The new score, ABS, or blank.")
    reason = serializers.CharField(allow_blank=True, max_length=locks.MAX_REASON)


def _one(queryset, pk):
    if not isinstance(pk, int) or not 1 <= pk <= MAX_ID:
        raise Http404
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


class ScoresApi(SchoolApiView):
    read_perm = None
    write_perm = None

    def check_tenant(self, request, **kwargs):
        super().check_tenant(request, **kwargs)
        if not grids.may_open_grids(self.membership):
            raise PermissionDenied("Your role does not allow this (academics.enter_scores).")

    def grid_keys(self, term_id, class_group_id, subject_id):
        school = self.school
        term = _one(school.terms, term_id)
        group = _one(school.class_groups, class_group_id)
        subject = _one(Subject.objects.for_school(school).filter(is_active=True, level=group.level), subject_id)
        if not grids.may_enter(
            school=school, membership=self.membership, term=term, class_group=group, subject=subject
        ):
            raise PermissionDenied(f"You do not teach {subject.name} to {group.name} this term.")
        return term, group, subject


class ManagerApi(SchoolApiView):
    read_perm = grids.MANAGE
    write_perm = grids.MANAGE


def _summary(summary):
    return {
        "term": summary.term,
        "class_group": {"id": summary.class_group.pk, "name": summary.class_group.name},
        "subject": {"id": summary.subject.pk, "name": summary.subject.name, "kind": summary.subject.kind},
        "teacher": summary.teacher,
        "filled": summary.filled,
        "expected": summary.expected,
        "locked": summary.locked,
    }


class GridListApi(ScoresApi):
    @extend_schema(
        parameters=[GridListQuery],
        responses={200: GridSummaryOutput(many=True), 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
        tags=TAGS,
        description="The grids the member may open in a term, by class then subject order, with how full each is.",
    )
    def get(self, request, school_slug):
        query = validated(GridListQuery, request.query_params)
        term = _one(self.school.terms, query["term"]) if "term" in query else self.school.current_term()
        summaries = grids.my_grids(school=self.school, membership=self.membership, term=term) if term else []
        return paginated(self, [_summary(s) for s in summaries], GridSummaryOutput)


def _grid_body(grid):
    return {
        "term_id": grid.term.pk,
        "class_group": {"id": grid.class_group.pk, "name": grid.class_group.name},
        "subject": {"id": grid.subject.pk, "name": grid.subject.name, "kind": grid.subject.kind},
        "teacher": grid.teacher,
        "locked": grid.locked,
        "components": [
            {"id": c.pk, "name": c.name, "max_score": c.max_score, "weight": c.weight} for c in grid.components
        ],
        "rows": [
            {**row.state(), "admission_number": row.student.admission_number, "name": row.student.full_name}
            for row in grid.rows
        ],
    }


def _service_rows(rows):
    """The rows as the service takes them (component ids as numbers), or a 400 naming a bad key."""
    taken, errors = [], {}
    for index, row in enumerate(rows):
        cells = {}
        for key, cell in row["cells"].items():
            component_id = parse_id(str(key))
            if component_id is None:
                errors[f"rows.{index}.cells"] = [f"“{str(key)[:20]}” is not an assessment id."]
                continue
            cells[component_id] = {"seen": cell.get("seen"), "new": cell["new"]}
        taken.append({"student_id": row["student_id"], "version": row["version"], "cells": cells})
    if errors:
        raise serializers.ValidationError(errors)
    return taken


class GridDetailApi(ScoresApi):
    @extend_schema(
        responses={200: GridOutput, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=TAGS,
        description="A grid: the term's components and the class's pupils, each row with its version, cells "
        "(text as typed: a number, ABS or blank), total and grade.",
    )
    def get(self, request, school_slug, term_id, class_group_id, subject_id):
        term, group, subject = self.grid_keys(term_id, class_group_id, subject_id)
        grid = grids.grid(school=self.school, term=term, class_group=group, subject=subject)
        return Response(GridOutput(_grid_body(grid)).data)

    @extend_schema(
        request=GridSaveInput,
        responses={200: GridSavedOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: _error(LOCKED)},
        tags=TAGS,
        description="Save many cells: each row with the version read and each cell's `seen` and `new` text. A cell "
        "whose `new` equals its `seen` is left alone. Any invalid cell refuses the whole save; cells another save "
        "changed since come back under `conflicts`, not applied; the rest are applied in one transaction.",
    )
    def put(self, request, school_slug, term_id, class_group_id, subject_id):
        term, group, subject = self.grid_keys(term_id, class_group_id, subject_id)
        rows = _service_rows(validated(GridSaveInput, request.data)["rows"])
        saved = scores.scores_grid_save(
            school=self.school,
            actor=request.user,
            membership=self.membership,
            term=term,
            class_group=group,
            subject=subject,
            rows=rows,
            via="api",
        )
        body = {"applied": saved.applied, "rows": saved.rows, "conflicts": [c.as_dict() for c in saved.conflicts]}
        return Response(GridSavedOutput(body).data)


class GridCellApi(ScoresApi):
    @extend_schema(
        request=CellSaveInput,
        responses={
            200: RowStateOutput,
            400: INVALID,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: _error(
                "`score_conflict`: another save changed the cell since it was read; `fields.conflict` holds "
                "{student_id, component_id, mine, text, updated_by, version, row}. Or " + LOCKED
            ),
        },
        tags=TAGS,
        description="Save one cell typed over `seen_text` in the row at `seen_version`; answers the row's state "
        "(the whole row: other cells may have changed meanwhile).",
    )
    def post(self, request, school_slug, term_id, class_group_id, subject_id):
        term, group, subject = self.grid_keys(term_id, class_group_id, subject_id)
        data = validated(CellSaveInput, request.data)
        student = self.school.students.filter(pk=data["student_id"]).first()
        component = AssessmentComponent.objects.for_school(self.school).filter(pk=data["component_id"]).first()
        missing = {}
        if student is None:
            missing["student_id"] = ["No such pupil in this school."]
        if component is None:
            missing["component_id"] = ["No such assessment in this school."]
        if missing:
            raise AcademicsError("No such cell.", code=AcademicsErrorCode.SCORE_INVALID, fields=missing)
        state = scores.score_cell_save(
            school=self.school,
            actor=request.user,
            membership=self.membership,
            term=term,
            class_group=group,
            subject=subject,
            student=student,
            component=component,
            text=data["text"],
            seen_version=data["seen_version"],
            seen_text=data.get("seen_text"),
            via="api",
        )
        return Response(RowStateOutput(state).data)


def _lock_body(lock):
    return {
        "term_id": lock.term_id,
        "class_group_id": lock.class_group_id,
        "locked_at": lock.locked_at,
        "locked_by": grids.user_name(lock.locked_by),
    }


class LockListApi(ManagerApi):
    @extend_schema(
        request=LockInput,
        responses={
            201: OpenApiResponse(LockOutput, description="Locked now."),
            200: OpenApiResponse(LockOutput, description="Already locked: the lock as it was."),
            400: ERRORS[400],
            403: ERRORS[403],
            404: _error("No such term or class group at this school."),
            409: ERRORS[409],
        },
        tags=TAGS,
        description="Lock a class group's scores for a term: from then on a score changes only by an amendment.",
    )
    def post(self, request, school_slug):
        data = validated(LockInput, request.data)
        term, group = _one(self.school.terms, data["term"]), _one(self.school.class_groups, data["class_group"])
        before = ResultsLock.objects.for_school(self.school).filter(term=term, class_group=group).exists()
        lock = locks.results_lock(
            school=self.school, actor=request.user, membership=self.membership, term=term, class_group=group
        )
        return Response(LockOutput(_lock_body(lock)).data, status=status.HTTP_200_OK if before else 201)


class LockDetailApi(ManagerApi):
    @extend_schema(
        responses={204: None, 403: ERRORS[403], 404: _error("No such term or class group, or it is not locked.")},
        tags=TAGS,
        description="Unlock a class group's scores for a term (the grids open for entry again).",
    )
    def delete(self, request, school_slug, term_id, class_group_id):
        term, group = _one(self.school.terms, term_id), _one(self.school.class_groups, class_group_id)
        try:
            locks.results_unlock(
                school=self.school, actor=request.user, membership=self.membership, term=term, class_group=group
            )
        except AcademicsError as exc:
            if exc.code == AcademicsErrorCode.RESULTS_NOT_LOCKED:
                raise Http404 from None
            raise
        return Response(status=status.HTTP_204_NO_CONTENT)


class AmendmentListApi(ManagerApi):
    @extend_schema(
        request=AmendmentInput,
        responses={
            201: RowStateOutput,
            400: _error(
                "`invalid`, `results_not_locked` (change it in the grid instead), `reason_required`, or "
                "`score_invalid` (`text` out of range or not a score; the same score; a pupil not in the class)."
            ),
            403: ERRORS[403],
            404: _error("No such term, class group, subject, pupil or assessment at this school."),
            409: ERRORS[409],
        },
        tags=TAGS,
        description="Amend a locked score with a reason; what it was and what it became are recorded. Answers "
        "the row's state.",
    )
    def post(self, request, school_slug):
        data = validated(AmendmentInput, request.data)
        school = self.school
        term, group = _one(school.terms, data["term"]), _one(school.class_groups, data["class_group"])
        subject = _one(Subject.objects.for_school(school).filter(level=group.level, is_active=True), data["subject"])
        student = _one(school.students, data["student"])
        component = _one(AssessmentComponent.objects.for_school(school).filter(term=term), data["component"])
        state = locks.score_amend(
            school=school,
            actor=request.user,
            membership=self.membership,
            term=term,
            class_group=group,
            subject=subject,
            student=student,
            component=component,
            text=data["text"],
            reason=data["reason"],
            via="api",
        )
        return Response(RowStateOutput(state).data, status=status.HTTP_201_CREATED)
