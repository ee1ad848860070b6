"""Input and output shapes of the results set-up API (setup.py). Numbers with decimals (a maximum
score, a weight, a band's bounds) travel as decimal strings, as the database keeps them."""

from decimal import Decimal

from rest_framework import serializers

from classpoint.api.fields import AmountMinorField, IdField

from ..attendance_api.common import ClassGroupRef, NullableStaff
from ..models import CommentBank, Subject
from ..results.policy import PRESETS
from ..results.setup import MAX_COMPONENTS
from ..results.setup_grading import MAX_BANDS, MAX_LINK_DAYS

# The preset grade scales a school copies.
PRESET_CHOICES = [(key, name) for key, (name, _bands) in PRESETS.items()]


def _decimal(digits, places, **kwargs):
    return serializers.DecimalField(max_digits=digits, decimal_places=places, **kwargs)


class SetupRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class SubjectOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    level = serializers.CharField(help_text="The class level that takes it (as class groups name theirs).")
    kind = serializers.ChoiceField(choices=Subject.Kind.choices, help_text="Core: every pupil of the level.")
    position = serializers.IntegerField(help_text="Its place on report cards (then by name).")
    is_active = serializers.BooleanField(help_text="False: retired (kept for the scores entered in it).")


class SubjectInput(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    level = serializers.CharField(max_length=40, help_text="A level one of the school's class groups is in.")
    kind = serializers.ChoiceField(choices=Subject.Kind.choices, required=False, default=Subject.Kind.CORE)
    position = serializers.IntegerField(required=False, default=0, min_value=0, max_value=999)


class SubjectPatchInput(SubjectInput):
    name = serializers.CharField(max_length=80, required=False)
    code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    level = serializers.CharField(max_length=40, required=False, help_text="Refused once scores were entered.")
    kind = serializers.ChoiceField(choices=Subject.Kind.choices, required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=999)
    is_active = serializers.BooleanField(required=False, help_text="True brings a retired subject back.")


class SubjectRetireOutput(serializers.Serializer):
    id = serializers.IntegerField()
    deleted = serializers.BooleanField(help_text="True: nothing was scored in it, so it was deleted.")
    is_active = serializers.BooleanField(help_text="False: retired (or deleted).")


class SubjectTeacherOutput(serializers.Serializer):
    term = serializers.IntegerField(source="term_id")
    class_group = ClassGroupRef()
    subject = SetupRef()
    teacher = NullableStaff(help_text="Null: nobody is named.")
    from_timetable = serializers.BooleanField(help_text="Named by the timetable fill, not by hand.")


class SubjectTeacherInput(serializers.Serializer):
    term = IdField()
    class_group = IdField()
    subject = IdField(help_text="A subject of the class group's level.")
    teacher = IdField(allow_null=True, help_text="A teacher on the staff list; null clears the cell.")


class TimetableFillInput(serializers.Serializer):
    term = IdField()


class TimetableFillOutput(serializers.Serializer):
    made = serializers.IntegerField(help_text="Class subjects given a teacher from the timetable now.")
    already = serializers.IntegerField(help_text="Class subjects the timetable names that had a teacher (kept).")
    unmatched = serializers.ListField(
        child=serializers.CharField(), help_text="Timetable subjects no subject of the class's level is called."
    )


class AssessmentComponentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    max_score = _decimal(6, 2)
    weight = _decimal(5, 2, help_text="Percent of the subject's total.")
    position = serializers.IntegerField()


class TermComponentsOutput(serializers.Serializer):
    term = SetupRef()
    locked = serializers.BooleanField(help_text="A class group's results are locked: the components cannot change.")
    weight_total = _decimal(7, 2)
    components = AssessmentComponentOutput(many=True)


class AssessmentComponentInput(serializers.Serializer):
    id = IdField(required=False, help_text="An existing component of the term to change; none: a new one.")
    name = serializers.CharField(max_length=40)
    max_score = _decimal(6, 2, min_value=0, max_value=1000, help_text="More than 0, at most 1000.")
    weight = _decimal(5, 2, min_value=0, max_value=100, help_text="More than 0; the weights add up to 100.")


class TermComponentsInput(serializers.Serializer):
    components = AssessmentComponentInput(
        many=True, max_length=MAX_COMPONENTS, help_text="The whole set, in order: a component left out is removed."
    )


class GradeBandSerializer(serializers.Serializer):
    letter = serializers.CharField(max_length=4)
    min_score = _decimal(4, 1, min_value=0, max_value=100, help_text="Lowest total of the band (one decimal).")
    max_score = _decimal(4, 1, min_value=0, max_value=100, help_text="Highest total of the band (one decimal).")
    remark = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    points = _decimal(4, 2, min_value=0, max_value=Decimal("99.99"), required=False, default=0)


class GradeScaleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    in_use = serializers.BooleanField(help_text="The school's report cards grade with it.")
    bands = GradeBandSerializer(many=True, help_text="Highest first.")


class GradeScaleInput(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    bands = GradeBandSerializer(many=True, required=False, max_length=MAX_BANDS, help_text="Cover 0.0 to 100.0.")
    preset = serializers.ChoiceField(choices=PRESET_CHOICES, required=False, help_text="Instead of name and bands.")
    use = serializers.BooleanField(required=False, default=False, help_text="Make it the school's scale.")

    def validate(self, data):
        if "preset" in data:
            if "name" in data or "bands" in data:
                raise serializers.ValidationError({"preset": ["Send a preset or a name and bands, not both."]})
        else:
            missing = {key: ["This field is required."] for key in ("name", "bands") if key not in data}
            if missing:
                raise serializers.ValidationError(missing)
        return data


class GradeScalePutInput(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False, help_text="Unchanged when left out.")
    bands = GradeBandSerializer(many=True, max_length=MAX_BANDS)


class ResultsPolicyOutput(serializers.Serializer):
    grade_scale = SetupRef()
    show_class_position = serializers.BooleanField()
    show_subject_position = serializers.BooleanField()
    withhold_owing_above_minor = serializers.IntegerField(
        allow_null=True, help_text="Report cards are withheld while a family owes more (minor units); null: never."
    )
    currency = serializers.CharField(source="school.currency")
    link_days = serializers.IntegerField(help_text="Days a guardian's results link opens.")


class ResultsPolicyInput(serializers.Serializer):
    grade_scale = IdField(required=False, help_text="One of the school's grade scales.")
    show_class_position = serializers.BooleanField(required=False)
    show_subject_position = serializers.BooleanField(required=False)
    withhold_owing_above_minor = AmountMinorField(required=False, allow_null=True, help_text="Null: never withhold.")
    link_days = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LINK_DAYS)


class CommentBankOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CommentBank.Kind.choices)
    text = serializers.CharField()
    position = serializers.IntegerField()


class CommentBankInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CommentBank.Kind.choices)
    text = serializers.CharField(max_length=500)
