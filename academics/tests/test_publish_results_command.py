"""`manage.py publish_results`: what it did per class, and a non-zero exit listing what is missing."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from academics.models import ReportCard

from .test_results_publishing import fill

pytestmark = pytest.mark.django_db


def publish(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("publish_results", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_publishes_the_current_term_and_prints_each_class(school, results):
    fill(results)
    out, _err = publish("--school", "greenfield")
    assert out == (
        f"greenfield: {results.term}\n"
        "  GFA JSS 1A: 4 pupils: 4 published, 0 updated, 0 withheld, 0 unchanged, scores locked now\n"
    )
    again, _err = publish("--school", "greenfield", "--term", str(results.term.pk), "--class-group", "gfa jss 1a")
    assert "GFA JSS 1A: 4 pupils: 0 published, 0 updated, 0 withheld, 4 unchanged\n" in again
    assert ReportCard.objects.filter(school=school, published_by__isnull=True).count() == 4


def test_the_command_refuses_with_the_missing_list_and_publishes_when_forced(school, results):
    fill(results, skip={(results.pupils[0], "Mathematics")})
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="greenfield: not published. Scores are missing in GFA JSS 1A"):
        call_command("publish_results", "--school", "greenfield", stdout=out, stderr=err)
    pupil = results.pupils[0]
    assert f"GFA JSS 1A, Mathematics: {pupil.first_name} {pupil.last_name} has nothing entered yet." in err.getvalue()
    assert not ReportCard.objects.filter(school=school).exists()
    done, _err = publish("--school", "greenfield", "--class-group", str(results.group.pk), "--force-reason", "Resit")
    assert "4 published, 0 updated, 0 withheld, 0 unchanged, 1 with scores missing" in done
    assert "published with scores missing because: Resit" in done


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--school", "nowhere"), "No active school with slug 'nowhere'."),
        (("--school", "greenfield", "--term", "soon"), "--term must be a term's id or 'current'"),
        (("--school", "greenfield", "--term", "99999999999999999999"), "--term must be a term's id or 'current'"),
        (("--school", "greenfield", "--class-group", "JSS 9Z"), "greenfield has no class group 'JSS 9Z'."),
    ],
)
def test_the_command_says_what_is_wrong_with_its_options(school, results, args, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("'", "'")):
        publish(*args)


def test_another_schools_term_is_not_found(school, other_school, results):
    with pytest.raises(CommandError, match="greenfield has no term"):
        publish("--school", "greenfield", "--term", str(other_school.current_term().pk))
