"""API for a school and its people: /api/v1/schools/<slug>/... and /api/v1/platform/schools/."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.fields import DateField, IdField, IdFilter, IsoDateTimeFilter
from classpoint.api.views import ApiView, SchoolApiView
from classpoint.audit import record_access
from classpoint.scoping import enter_platform

from . import services
from .models import ClassGroup, Enrollment, Guardian, School, Student, Term
from .phones import normalize_phone

# --- School ---------------------------------------------------------------------------------


class SchoolOutput(serializers.ModelSerializer):
    primary_domain = serializers.SerializerMethodField()

    class Meta:
        model = School
        fields = ["id", "slug", "name", "status", "timezone", "currency", "country", "primary_domain", "created_at"]

    def get_primary_domain(self, school) -> str:
        domains = list(school.domains.all())
        primary = next((d for d in domains if d.is_primary), None)
        return primary.hostname if primary else ""


class SchoolDetailApi(SchoolApiView):
    read_perm = None  # any member may read the school's own card

    @extend_schema(responses={200: SchoolOutput, **READ_ERRORS}, tags=["schools"])
    def get(self, request, school_slug):
        return Response(SchoolOutput(self.school).data)


# --- Students -------------------------------------------------------------------------------


class StudentOutput(serializers.ModelSerializer):
    class Meta:
        model = Student
        fields = [
            "id",
            "admission_number",
            "first_name",
            "last_name",
            "other_names",
            "date_of_birth",
            "gender",
            "status",
            "created_at",
            "updated_at",
        ]


class StudentInput(serializers.Serializer):
    admission_number = serializers.CharField(max_length=40)
    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80)
    other_names = serializers.CharField(max_length=120, required=False, allow_blank=True)
    date_of_birth = DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Student.Gender.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Student.Status.choices, required=False)


class StudentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or admission number contains")
    status = django_filters.ChoiceFilter(choices=Student.Status.choices)
    admission_number = django_filters.CharFilter()
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Student
        fields = ["status", "admission_number"]

    def search(self, queryset, name, value):
        for word in value.lower().split()[:4]:
            queryset = queryset.filter(search_text__contains=word)
        return queryset


class StudentListApi(SchoolApiView):
    write_perm = "students.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = StudentFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = StudentFilter

    @extend_schema(responses={200: StudentOutput(many=True), **READ_ERRORS}, filters=True, tags=["students"])
    def get(self, request, school_slug):
        queryset = self.school.students.order_by("last_name", "first_name", "id")
        return paginated(self, queryset, StudentOutput, StudentFilter)

    @extend_schema(request=StudentInput, responses={201: StudentOutput, **ERRORS}, tags=["students"])
    def post(self, request, school_slug):
        data = _validated(StudentInput, request.data)
        student = services.student_create(school=self.school, actor=request.user, **data)
        return Response(StudentOutput(student).data, status=status.HTTP_201_CREATED)


class StudentDetailApi(SchoolApiView):
    write_perm = "students.manage"

    @extend_schema(responses={200: StudentOutput, **READ_ERRORS}, tags=["students"])
    def get(self, request, school_slug, pk):
        student = scoped_get(self.school.students, pk)
        record_access(school=self.school, actor=request.user, target=student, via="api")
        return Response(StudentOutput(student).data)

    @extend_schema(request=StudentInput(partial=True), responses={200: StudentOutput, **ERRORS}, tags=["students"])
    def patch(self, request, school_slug, pk):
        student = scoped_get(self.school.students, pk)
        data = _validated(StudentInput, request.data, partial=True)
        student = services.student_update(student=student, actor=request.user, **data)
        return Response(StudentOutput(student).data)


# --- Guardians ------------------------------------------------------------------------------


class GuardianOutput(serializers.ModelSerializer):
    student_ids = serializers.SerializerMethodField()

    class Meta:
        model = Guardian
        fields = [
            "id",
            "first_name",
            "last_name",
            "relationship",
            "phone",
            "email",
            "preferred_channel",
            "student_ids",
            "created_at",
        ]

    def get_student_ids(self, guardian) -> list[int]:
        return [link.student_id for link in guardian.student_links.all()]


class GuardianInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80)
    relationship = serializers.CharField(max_length=40, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    preferred_channel = serializers.ChoiceField(choices=Guardian.Channel.choices, required=False)
    student_id = IdField(required=False, help_text="Link to this student on create.")
    is_primary = serializers.BooleanField(required=False, default=False)

    def validate_phone(self, value):
        try:
            return normalize_phone(value, self.context["school"].country)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class GuardianFilter(django_filters.FilterSet):
    phone = django_filters.CharFilter()
    email = django_filters.CharFilter(lookup_expr="iexact")
    student = IdFilter(field_name="student_links__student_id")

    class Meta:
        model = Guardian
        fields = ["phone", "email"]


class GuardianListApi(SchoolApiView):
    write_perm = "students.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = GuardianFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = GuardianFilter

    @extend_schema(responses={200: GuardianOutput(many=True), **READ_ERRORS}, filters=True, tags=["guardians"])
    def get(self, request, school_slug):
        queryset = self.school.guardians.prefetch_related("student_links").order_by("last_name", "first_name", "id")
        return paginated(self, queryset, GuardianOutput, GuardianFilter)

    @extend_schema(request=GuardianInput, responses={201: GuardianOutput, **ERRORS}, tags=["guardians"])
    def post(self, request, school_slug):
        data = _validated(GuardianInput, request.data, context={"school": self.school})
        student_id = data.pop("student_id", None)
        student = None
        if student_id is not None:
            student = self.school.students.filter(pk=student_id).first()
            if student is None:
                raise serializers.ValidationError({"student_id": ["No such student."]})
        guardian = services.guardian_create(school=self.school, actor=request.user, student=student, **data)
        return Response(GuardianOutput(guardian).data, status=status.HTTP_201_CREATED)


class GuardianDetailApi(SchoolApiView):
    write_perm = "students.manage"

    @extend_schema(responses={200: GuardianOutput, **READ_ERRORS}, tags=["guardians"])
    def get(self, request, school_slug, pk):
        guardian = scoped_get(self.school.guardians.prefetch_related("student_links"), pk)
        record_access(school=self.school, actor=request.user, target=guardian, via="api")
        return Response(GuardianOutput(guardian).data)

    @extend_schema(request=GuardianInput(partial=True), responses={200: GuardianOutput, **ERRORS}, tags=["guardians"])
    def patch(self, request, school_slug, pk):
        guardian = scoped_get(self.school.guardians, pk)
        data = _validated(GuardianInput, request.data, partial=True, context={"school": self.school})
        data.pop("student_id", None)
        data.pop("is_primary", None)
        guardian = services.guardian_update(guardian=guardian, actor=request.user, **data)
        return Response(GuardianOutput(guardian).data)


# --- Class groups ---------------------------------------------------------------------------


class ClassGroupOutput(serializers.ModelSerializer):
    class Meta:
        model = ClassGroup
        fields = ["id", "name", "level", "capacity", "form_teacher_id"]


class ClassGroupInput(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    level = serializers.CharField(max_length=40)
    capacity = serializers.IntegerField(min_value=1, max_value=500, required=False)
    form_teacher_id = IdField(required=False, allow_null=True)


class ClassGroupFilter(django_filters.FilterSet):
    level = django_filters.CharFilter()

    class Meta:
        model = ClassGroup
        fields = ["level"]


def _form_teacher(school, data):
    if "form_teacher_id" in data:
        teacher_id = data.pop("form_teacher_id")
        teacher = None
        if teacher_id is not None:
            teacher = school.staff.filter(pk=teacher_id).first()
            if teacher is None:
                raise serializers.ValidationError({"form_teacher_id": ["No such staff member."]})
        data["form_teacher"] = teacher
    return data


class ClassGroupListApi(SchoolApiView):
    write_perm = "school.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = ClassGroupFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ClassGroupFilter

    @extend_schema(responses={200: ClassGroupOutput(many=True), **READ_ERRORS}, filters=True, tags=["classes"])
    def get(self, request, school_slug):
        return paginated(
            self, self.school.class_groups.order_by("level", "name", "id"), ClassGroupOutput, ClassGroupFilter
        )

    @extend_schema(request=ClassGroupInput, responses={201: ClassGroupOutput, **ERRORS}, tags=["classes"])
    def post(self, request, school_slug):
        data = _form_teacher(self.school, _validated(ClassGroupInput, request.data))
        group = services.class_group_create(school=self.school, actor=request.user, **data)
        return Response(ClassGroupOutput(group).data, status=status.HTTP_201_CREATED)


class ClassGroupDetailApi(SchoolApiView):
    write_perm = "school.manage"

    @extend_schema(responses={200: ClassGroupOutput, **READ_ERRORS}, tags=["classes"])
    def get(self, request, school_slug, pk):
        return Response(ClassGroupOutput(scoped_get(self.school.class_groups, pk)).data)

    @extend_schema(request=ClassGroupInput(partial=True), responses={200: ClassGroupOutput, **ERRORS}, tags=["classes"])
    def patch(self, request, school_slug, pk):
        group = scoped_get(self.school.class_groups, pk)
        data = _form_teacher(self.school, _validated(ClassGroupInput, request.data, partial=True))
        group = services.class_group_update(class_group=group, actor=request.user, **data)
        return Response(ClassGroupOutput(group).data)


# --- Terms ----------------------------------------------------------------------------------


class TermOutput(serializers.ModelSerializer):
    session = serializers.CharField(source="session.name")

    class Meta:
        model = Term
        fields = ["id", "name", "session", "session_id", "start_date", "end_date", "is_current"]


class TermInput(serializers.Serializer):
    session_id = IdField()
    name = serializers.CharField(max_length=40)
    start_date = DateField()
    end_date = DateField()
    is_current = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and end <= start:
            raise serializers.ValidationError({"end_date": ["The end date must be after the start date."]})
        return attrs


class TermFilter(django_filters.FilterSet):
    is_current = django_filters.BooleanFilter()
    session = IdFilter(field_name="session_id")

    class Meta:
        model = Term
        fields = ["is_current"]


class TermListApi(SchoolApiView):
    write_perm = "school.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = TermFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = TermFilter

    @extend_schema(responses={200: TermOutput(many=True), **READ_ERRORS}, filters=True, tags=["terms"])
    def get(self, request, school_slug):
        queryset = self.school.terms.select_related("session").order_by("-start_date", "id")
        return paginated(self, queryset, TermOutput, TermFilter)

    @extend_schema(request=TermInput, responses={201: TermOutput, **ERRORS}, tags=["terms"])
    def post(self, request, school_slug):
        data = _validated(TermInput, request.data)
        session = self.school.sessions.filter(pk=data.pop("session_id")).first()
        if session is None:
            raise serializers.ValidationError({"session_id": ["No such academic session."]})
        term = services.term_create(school=self.school, actor=request.user, session=session, **data)
        return Response(TermOutput(term).data, status=status.HTTP_201_CREATED)


class TermDetailApi(SchoolApiView):
    write_perm = "school.manage"

    @extend_schema(responses={200: TermOutput, **READ_ERRORS}, tags=["terms"])
    def get(self, request, school_slug, pk):
        return Response(TermOutput(scoped_get(self.school.terms.select_related("session"), pk)).data)

    @extend_schema(request=TermInput(partial=True), responses={200: TermOutput, **ERRORS}, tags=["terms"])
    def patch(self, request, school_slug, pk):
        term = scoped_get(self.school.terms.select_related("session"), pk)
        data = _validated(TermInput, request.data, partial=True)
        data.pop("session_id", None)
        term = services.term_update(term=term, actor=request.user, **data)
        return Response(TermOutput(term).data)


# --- Enrollments ----------------------------------------------------------------------------


class EnrollmentOutput(serializers.ModelSerializer):
    class_group = serializers.CharField(source="class_group.name")

    class Meta:
        model = Enrollment
        fields = ["id", "student_id", "term_id", "class_group_id", "class_group", "status", "created_at"]


class EnrollmentInput(serializers.Serializer):
    student_id = IdField()
    term_id = IdField()
    class_group_id = IdField()


class EnrollmentUpdateInput(serializers.Serializer):
    class_group_id = IdField(required=False)
    status = serializers.ChoiceField(choices=Enrollment.Status.choices, required=False)


class EnrollmentFilter(django_filters.FilterSet):
    student = IdFilter(field_name="student_id")
    term = IdFilter(field_name="term_id")
    class_group = IdFilter(field_name="class_group_id")
    status = django_filters.ChoiceFilter(choices=Enrollment.Status.choices)

    class Meta:
        model = Enrollment
        fields = ["status"]


def _scoped_or_field_error(queryset, pk, field):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise serializers.ValidationError({field: ["Not found in this school."]})
    return obj


class EnrollmentListApi(SchoolApiView):
    write_perm = "students.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = EnrollmentFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = EnrollmentFilter

    @extend_schema(responses={200: EnrollmentOutput(many=True), **READ_ERRORS}, filters=True, tags=["enrollments"])
    def get(self, request, school_slug):
        queryset = self.school.enrollments.select_related("class_group").order_by("-created_at", "-id")
        return paginated(self, queryset, EnrollmentOutput, EnrollmentFilter)

    @extend_schema(request=EnrollmentInput, responses={201: EnrollmentOutput, **ERRORS}, tags=["enrollments"])
    def post(self, request, school_slug):
        data = _validated(EnrollmentInput, request.data)
        enrollment = services.enrollment_create(
            school=self.school,
            actor=request.user,
            student=_scoped_or_field_error(self.school.students, data["student_id"], "student_id"),
            term=_scoped_or_field_error(self.school.terms, data["term_id"], "term_id"),
            class_group=_scoped_or_field_error(self.school.class_groups, data["class_group_id"], "class_group_id"),
        )
        return Response(EnrollmentOutput(enrollment).data, status=status.HTTP_201_CREATED)


class EnrollmentDetailApi(SchoolApiView):
    write_perm = "students.manage"

    @extend_schema(responses={200: EnrollmentOutput, **READ_ERRORS}, tags=["enrollments"])
    def get(self, request, school_slug, pk):
        return Response(EnrollmentOutput(scoped_get(self.school.enrollments.select_related("class_group"), pk)).data)

    @extend_schema(request=EnrollmentUpdateInput, responses={200: EnrollmentOutput, **ERRORS}, tags=["enrollments"])
    def patch(self, request, school_slug, pk):
        enrollment = scoped_get(self.school.enrollments.select_related("class_group"), pk)
        data = _validated(EnrollmentUpdateInput, request.data, partial=True)
        class_group = None
        if "class_group_id" in data:
            class_group = _scoped_or_field_error(self.school.class_groups, data["class_group_id"], "class_group_id")
        enrollment = services.enrollment_update(
            enrollment=enrollment, actor=request.user, class_group=class_group, status=data.get("status")
        )
        return Response(EnrollmentOutput(enrollment).data)


# --- Platform -------------------------------------------------------------------------------


class ProvisionInput(serializers.Serializer):
    slug = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    admin_email = serializers.EmailField()
    timezone = serializers.CharField(max_length=64, required=False, default="Africa/Lagos")
    currency = serializers.CharField(max_length=3, required=False, default="NGN")
    country = serializers.CharField(max_length=2, required=False, default="NG")


class PlatformApiView(ApiView):
    def check_tenant(self, request, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("Platform admins only.")
        enter_platform(reason="the platform API lists and provisions schools")


class PlatformSchoolsApi(PlatformApiView):
    @extend_schema(responses={200: SchoolOutput(many=True), 403: ERRORS[403]}, tags=["platform"])
    def get(self, request):
        return paginated(self, School.objects.prefetch_related("domains").order_by("slug"), SchoolOutput)

    @extend_schema(request=ProvisionInput, responses={201: SchoolOutput, **ERRORS}, tags=["platform"])
    def post(self, request):
        data = _validated(ProvisionInput, request.data)
        school, _ = services.school_provision(actor=request.user, **data)
        return Response(SchoolOutput(school).data, status=status.HTTP_201_CREATED)


def _validated(serializer_class, data, partial=False, context=None):
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
    serializer = serializer_class(data=data, partial=partial, context=context or {})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
