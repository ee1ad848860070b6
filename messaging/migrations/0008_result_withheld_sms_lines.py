# The withheld-results SMS puts its pay link and phone on lines of their own, so a school that takes
# no payments online (an empty pay link) sends no "Pay:" with nothing after it (messaging/placeholders.py
# leaves out a line whose values are all empty). Only templates still as seeded change: a school's
# own wording is its own.

from django.db import migrations

# The texts as of this migration (later edits to messaging/defaults*.py do not rewrite history):
# {language: (before, after)}.
RESULT_WITHHELD_SMS = {
    "en": (
        "{{ school_name }}: {{ student_name }}'s {{ term_name }} results are ready, held until the balance of "
        "{{ amount_owed }} is settled. Pay: {{ pay_link }} Call: {{ school_phone }}",
        "{{ school_name }}: {{ student_name }}'s {{ term_name }} results are ready, held until the balance of "
        "{{ amount_owed }} is settled.\nPay: {{ pay_link }}\nCall: {{ school_phone }}",
    ),
    "es": (
        "{{ school_name }}: las notas de {{ term_name }} de {{ student_name }} están listas, retenidas hasta "
        "que se pague el saldo de {{ amount_owed }}. Pagar: {{ pay_link }} Tel: {{ school_phone }}",
        "{{ school_name }}: las notas de {{ term_name }} de {{ student_name }} están listas, retenidas hasta "
        "que se pague el saldo de {{ amount_owed }}.\nPagar: {{ pay_link }}\nTel: {{ school_phone }}",
    ),
}


def _replace(apps, *, forward):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    for language, (before, after) in RESULT_WITHHELD_SMS.items():
        old, new = (before, after) if forward else (after, before)
        MessageTemplate.objects.filter(type="RESULT_WITHHELD", channel="sms", language=language, body=old).update(
            body=new
        )


def to_lines(apps, schema_editor):
    _replace(apps, forward=True)


def back_to_one_line(apps, schema_editor):
    _replace(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0007_template_language"),
    ]

    operations = [
        migrations.RunPython(to_lines, back_to_one_line),
    ]
