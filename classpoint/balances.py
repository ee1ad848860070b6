"""What a pupil's family owes and how they pay, for an app that may not import the ones that know
(academics withholding a report card, printing next term's fees): each app that can answer offers a
`<app>/balances.py` (found by `classpoint.discovery.app_modules`), with any of

    owed_minor(*, school, student_ids) -> {student_id: minor units owed now}
    due_for_term(*, school, student_ids, term) -> {student_id: minor units billed for `term`}
    pay_link(*, school, student_id, guardian_id) -> an absolute URL where the guardian pays, or ""

Amounts from several providers add up; the first pay link given wins. With no provider installed a
pupil owes nothing and there is nowhere to pay, which is what a school without fees has.
"""

from classpoint.discovery import app_modules


def _providers(name):
    return [getattr(module, name) for module in app_modules("balances") if hasattr(module, name)]


def _summed(name, student_ids, **kwargs):
    ids = [int(i) for i in student_ids]
    totals = dict.fromkeys(ids, 0)
    for provider in _providers(name):
        for student_id, amount in provider(student_ids=ids, **kwargs).items():
            if student_id in totals:
                totals[student_id] += int(amount)
    return totals


def owed_minor(*, school, student_ids):
    """{student_id: what the pupil's invoices still owe now, in minor units} (0 for every pupil
    without a debt)."""
    return _summed("owed_minor", student_ids, school=school)


def due_for_term(*, school, student_ids, term):
    """{student_id: what the pupil is billed for `term`, in minor units} (0 where nothing is billed)."""
    return _summed("due_for_term", student_ids, school=school, term=term)


def pay_link(*, school, student_id, guardian_id):
    for provider in _providers("pay_link"):
        link = provider(school=school, student_id=student_id, guardian_id=guardian_id)
        if link:
            return link
    return ""
