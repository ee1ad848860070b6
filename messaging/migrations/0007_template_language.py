# Message templates per language: each school's template is one type, channel and language.

from django.db import migrations, models

# The Spanish defaults as of this migration (later edits to messaging/defaults_es.py do not rewrite
# history): {type: {channel: (subject, body)}}.
SPANISH = {
    "PAYMENT_RECEIPT": {
        "sms": (
            "",
            "{{ school_name }}: recibimos {{ amount }} por {{ student_name }}. Recibo {{ "
            "receipt_number }}. Saldo pendiente: {{ balance }}. Gracias.",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "Hemos recibido *{{ amount }}* por {{ student_name }} el {{ paid_at }}.\n"
            "Recibo: {{ receipt_number }}\n"
            "Factura: {{ invoice_number }}\n"
            "Saldo pendiente: {{ balance }}\n"
            "\n"
            "Gracias.\n"
            "{{ school_name }}",
        ),
        "email": (
            "Pago recibido: {{ receipt_number }} de {{ student_name }}",
            "Estimada familia:\n"
            "\n"
            "Gracias. Hemos recibido su pago de {{ amount }} por {{ student_name }} el {{ paid_at "
            "}}.\n"
            "\n"
            "Número de recibo: {{ receipt_number }}\n"
            "Factura: {{ invoice_number }}\n"
            "Saldo pendiente: {{ balance }}\n"
            "\n"
            "Conserve este correo para sus registros.\n"
            "\n"
            "Administración\n"
            "{{ school_name }}",
        ),
    },
    "INVOICE_ISSUED": {
        "sms": (
            "",
            "{{ school_name }}: cuotas de {{ term_name }} de {{ student_name }}: {{ amount_due }}, "
            "vencen el {{ due_date }}. Factura {{ invoice_number }}. Pagar: {{ pay_link }}",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "Ya está disponible la factura de las cuotas de {{ term_name }} de {{ student_name "
            "}}.\n"
            "Factura: {{ invoice_number }}\n"
            "Total a pagar: *{{ amount_due }}*\n"
            "Fecha de vencimiento: {{ due_date }}\n"
            "\n"
            "Ver y pagar: {{ pay_link }}\n"
            "\n"
            "{{ school_name }}",
        ),
        "email": (
            "Factura de las cuotas de {{ term_name }} de {{ student_name }}",
            "Estimada familia:\n"
            "\n"
            "Ya está disponible la factura de las cuotas de {{ term_name }} de {{ student_name "
            "}}.\n"
            "\n"
            "Número de factura: {{ invoice_number }}\n"
            "Total a pagar: {{ amount_due }}\n"
            "Fecha de vencimiento: {{ due_date }}\n"
            "\n"
            "Puede ver la factura y pagar en línea aquí: {{ pay_link }}\n"
            "\n"
            "Si tiene alguna pregunta, comuníquese con la administración del colegio.\n"
            "\n"
            "Administración\n"
            "{{ school_name }}\n"
            "\n"
            "Gestione sus mensajes: {{ preferences_link }}",
        ),
    },
    "OVERDUE_NOTICE": {
        "sms": (
            "",
            "{{ school_name }}: las cuotas de {{ students }} por {{ total }} están vencidas. Por "
            "favor, pague o comuníquese con la administración. Si ya pagó, ignore este mensaje.",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "Le recordamos amablemente que las cuotas escolares de {{ students }}, por *{{ "
            "total }}*, están vencidas.\n"
            "{{ invoice_summary }}\n"
            "\n"
            "Por favor, realice el pago o hable con la administración para acordar un plan. Si "
            "ya pagó, ignore este mensaje.\n"
            "\n"
            "{{ school_name }}",
        ),
        "email": (
            "Recordatorio: cuotas escolares vencidas de {{ students }}",
            "Estimada familia:\n"
            "\n"
            "Le recordamos amablemente que las cuotas escolares de {{ students }}, por un total de "
            "{{ total }}, están vencidas.\n"
            "\n"
            "{{ invoice_summary }}\n"
            "\n"
            "Le rogamos que realice el pago, o que se comunique con la administración si desea "
            "acordar un plan de pagos. Si ya ha pagado, le damos las gracias y le pedimos que "
            "ignore este recordatorio.\n"
            "\n"
            "Administración\n"
            "{{ school_name }}",
        ),
    },
    "PAYMENT_PROOF_REJECTED": {
        "sms": (
            "",
            "{{ school_name }}: no pudimos confirmar su transferencia de {{ amount }} por {{ "
            "student_name }}: {{ reason }}. Comuníquese con la administración.",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "No pudimos confirmar su transferencia de *{{ amount }}* por {{ "
            "student_name }} (referencia {{ bank_reference }}, {{ paid_on }}).\n"
            "Motivo: {{ reason }}\n"
            "\n"
            "Envíe un comprobante más claro o comuníquese con la administración.\n"
            "\n"
            "{{ school_name }}",
        ),
        "email": (
            "No pudimos confirmar su transferencia por {{ student_name }}",
            "Estimada familia:\n"
            "\n"
            "No pudimos confirmar su transferencia bancaria de {{ amount }} por {{ "
            "student_name }} (factura {{ invoice_number }}).\n"
            "\n"
            "Referencia: {{ bank_reference }}\n"
            "Fecha indicada: {{ paid_on }}\n"
            "Motivo: {{ reason }}\n"
            "\n"
            "Envíe un comprobante de pago más claro o comuníquese con la administración, y "
            "lo revisaremos de nuevo.\n"
            "\n"
            "Administración\n"
            "{{ school_name }}",
        ),
    },
    "RESULT_READY": {
        "sms": (
            "",
            "{{ school_name }}: ya están disponibles las notas de {{ term_name }} de {{ student_name "
            "}}. Ver: {{ result_link }}",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "Ya están disponibles las notas de {{ term_name }} de {{ student_name }} ({{ "
            "class_name }}).\n"
            "\n"
            "Ver el boletín de notas: {{ result_link }}\n"
            "\n"
            "{{ school_name }}",
        ),
        "email": (
            "Notas de {{ term_name }} de {{ student_name }}",
            "Estimada familia:\n"
            "\n"
            "Ya están disponibles las notas de {{ student_name }} de {{ term_name }} ({{ class_name "
            "}}).\n"
            "\n"
            "Puede ver y descargar el boletín de notas aquí: {{ result_link }}\n"
            "\n"
            "Gracias por su apoyo.\n"
            "\n"
            "{{ school_name }}",
        ),
    },
    "RESULT_UPDATED": {
        "sms": (
            "",
            "{{ school_name }}: se ha actualizado el boletín de notas de {{ term_name }} de {{ "
            "student_name }}. Ver: {{ result_link }}",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "El boletín de notas de {{ term_name }} de {{ student_name }} ({{ class_name }}) se "
            "ha actualizado desde que se lo enviamos.\n"
            "\n"
            "Ver el boletín más reciente: {{ result_link }}\n"
            "\n"
            "{{ school_name }}",
        ),
        "email": (
            "Notas actualizadas de {{ term_name }} de {{ student_name }}",
            "Estimada familia:\n"
            "\n"
            "El boletín de notas de {{ student_name }} de {{ term_name }} ({{ class_name }}) se ha "
            "actualizado desde que se lo enviamos. Utilice esta versión.\n"
            "\n"
            "Puede ver y descargar el boletín más reciente aquí: {{ result_link }}\n"
            "\n"
            "{{ school_name }}",
        ),
    },
    "RESULT_WITHHELD": {
        "sms": (
            "",
            "{{ school_name }}: las notas de {{ term_name }} de {{ student_name }} están listas, "
            "retenidas hasta que se pague el saldo de {{ amount_owed }}. Pagar: {{ pay_link }} Tel: "
            "{{ school_phone }}",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "Las notas de {{ term_name }} de {{ student_name }} ({{ class_name }}) están "
            "listas. El boletín queda retenido hasta que se pague el saldo pendiente de *{{ "
            "amount_owed }}*.\n"
            "\n"
            "Pague aquí: {{ pay_link }}\n"
            "\n"
            "En cuanto se salde, le enviaremos el boletín. ¿Preguntas? Llame al colegio al {{ "
            "school_phone }}.\n"
            "\n"
            "{{ school_name }}",
        ),
        "email": (
            "Notas de {{ term_name }} de {{ student_name }}: saldo pendiente",
            "Estimada familia:\n"
            "\n"
            "Las notas de {{ student_name }} de {{ term_name }} ({{ class_name }}) están listas. "
            "Conforme a la política del colegio, el boletín de notas queda retenido hasta que se "
            "pague el saldo pendiente de {{ amount_owed }}.\n"
            "\n"
            "Puede pagar en línea aquí: {{ pay_link }}\n"
            "\n"
            "Una vez saldado, le enviaremos un enlace al boletín. Si ya ha pagado o desea "
            "hablarlo, llame al colegio al {{ school_phone }}.\n"
            "\n"
            "Administración\n"
            "{{ school_name }}",
        ),
    },
    "ANNOUNCEMENT": {
        "sms": ("", "{{ school_name }}: {{ title }}. {{ message }}"),
        "whatsapp": ("", "*{{ title }}*\n\n{{ message }}\n\n{{ school_name }}"),
        "email": (
            "{{ title }}",
            "Estimada familia:\n"
            "\n"
            "{{ message }}\n"
            "\n"
            "Un cordial saludo,\n"
            "{{ school_name }}\n"
            "\n"
            "Gestione sus mensajes: {{ preferences_link }}",
        ),
    },
    "APPLICATION_RECEIVED": {
        "sms": (
            "",
            "{{ school_name }}: hemos recibido la solicitud de {{ applicant_name }} ({{ "
            "class_name }}), ref. {{ reference }}. Nos pondremos en contacto con usted.",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "Gracias por su solicitud a {{ school_name }}. Hemos recibido la solicitud de "
            "{{ applicant_name }} ({{ class_name }}).\n"
            "Referencia: {{ reference }}\n"
            "\n"
            "Siga su estado aquí: {{ status_link }}",
        ),
        "email": (
            "Solicitud recibida: {{ applicant_name }} ({{ reference }})",
            "Estimada familia:\n"
            "\n"
            "Gracias por su solicitud a {{ school_name }}. Hemos recibido la solicitud de "
            "admisión de {{ applicant_name }} para {{ class_name }}.\n"
            "\n"
            "Referencia: {{ reference }}\n"
            "\n"
            "Puede seguir su estado aquí: {{ status_link }}\n"
            "Nos pondremos en contacto con usted para los próximos pasos.\n"
            "\n"
            "Oficina de Admisiones\n"
            "{{ school_name }}",
        ),
    },
    "APPLICATION_NEEDS_INFO": {
        "sms": (
            "",
            "{{ school_name }}: la solicitud de {{ applicant_name }} (ref. {{ reference }}) "
            "necesita: {{ note }}. Actualícela aquí: {{ status_link }}",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "La solicitud de {{ applicant_name }} (ref. {{ reference }}) necesita algo "
            "más de su parte:\n"
            "{{ note }}\n"
            "\n"
            "Actualícela aquí: {{ status_link }}\n"
            "\n"
            "{{ school_name }}",
        ),
        "email": (
            "Se necesita más información: {{ applicant_name }} ({{ reference }})",
            "Estimada familia:\n"
            "\n"
            "Gracias por su solicitud a {{ school_name }}. Para continuar con la solicitud "
            "de {{ applicant_name }} (referencia {{ reference }}), necesitamos:\n"
            "\n"
            "{{ note }}\n"
            "\n"
            "Actualice la solicitud aquí: {{ status_link }}\n"
            "\n"
            "Oficina de Admisiones\n"
            "{{ school_name }}",
        ),
    },
    "APPLICATION_APPROVED": {
        "sms": (
            "",
            "¡Felicidades! {{ school_name }} ofrece a {{ applicant_name }} una plaza en {{ "
            "class_name }}. Próximos pasos: {{ status_link }}",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "¡Felicidades! {{ school_name }} ofrece a {{ applicant_name }} una plaza en "
            "*{{ class_name }}*.\n"
            "\n"
            "Vea los próximos pasos: {{ status_link }}",
        ),
        "email": (
            "Oferta de admisión: {{ applicant_name }}",
            "Estimada familia:\n"
            "\n"
            "¡Felicidades! Nos complace ofrecer a {{ applicant_name }} una plaza en {{ "
            "class_name }} en {{ school_name }} (referencia {{ reference }}).\n"
            "\n"
            "Consulte los próximos pasos, incluidas la aceptación y las cuotas, aquí: {{ "
            "status_link }}\n"
            "\n"
            "Esperamos darles pronto la bienvenida.\n"
            "\n"
            "Oficina de Admisiones\n"
            "{{ school_name }}",
        ),
    },
    "WELCOME": {
        "sms": (
            "",
            "¡Bienvenidos a {{ school_name }}! La matrícula de {{ student_name }} en {{ class_name }} está "
            "completa. Recibirá en este número las cuotas, las notas y las noticias del colegio.",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "¡Bienvenidos a {{ school_name }}! La matrícula de {{ student_name }} en {{ class_name }} "
            "está completa.\n"
            "\n"
            "Le enviaremos aquí las cuotas, las notas y las noticias del colegio.",
        ),
        "email": (
            "Bienvenidos a {{ school_name }}",
            "Estimada familia:\n"
            "\n"
            "¡Bienvenidos a {{ school_name }}! La matrícula de {{ student_name }} en {{ class_name }} "
            "está completa.\n"
            "\n"
            "Enviaremos a esta dirección las facturas, los recibos, las notas y las noticias del colegio. "
            "Esperamos trabajar con ustedes.\n"
            "\n"
            "Un cordial saludo,\n"
            "{{ school_name }}",
        ),
    },
    "ABSENCE_ALERT": {
        "sms": (
            "",
            "{{ school_name }}, {{ date }}: aviso de asistencia de {{ student_name }} ({{ class_name "
            "}}): {{ absence }}. Si no lo esperaba, llame al colegio {{ school_phone }}",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "{{ date }}: aviso de asistencia de {{ student_name }} ({{ class_name }}): {{ "
            "absence }}.\n"
            "Si no lo esperaba, comuníquese con el colegio.\n"
            "\n"
            "{{ school_name }}\n"
            "{{ school_phone }}",
        ),
        "email": (
            "Aviso de asistencia: {{ student_name }}",
            "Estimada familia:\n"
            "\n"
            "{{ date }}: aviso de asistencia de {{ student_name }} ({{ class_name }}): {{ absence "
            "}}.\n"
            "\n"
            "Si no lo esperaba, comuníquese con el colegio lo antes posible.\n"
            "\n"
            "{{ school_name }}\n"
            "{{ school_phone }}",
        ),
    },
    "ABSENCE_WITHDRAWN": {
        "sms": (
            "",
            "{{ school_name }}: Actualización: {{ student_name }} sí estuvo presente el {{ date "
            "}}. Disculpe la preocupación.",
        ),
        "whatsapp": (
            "",
            "Estimada familia:\n"
            "\n"
            "Actualización: {{ student_name }} sí estuvo presente el {{ date }}. Disculpe la "
            "preocupación.\n"
            "\n"
            "{{ school_name }}",
        ),
        "email": (
            "Actualización: {{ student_name }} sí estuvo presente",
            "Estimada familia:\n"
            "\n"
            "Actualización: {{ student_name }} sí estuvo presente el {{ date }}. Disculpe la "
            "preocupación.\n"
            "\n"
            "{{ school_name }}",
        ),
    },
    "TRUANCY_LETTER": {
        "sms": (
            "",
            "{{ school_name }}: le hemos enviado una carta sobre la asistencia de {{ student_name }} "
            "({{ days_count }} días contabilizados). Léala: {{ letter_link }}",
        ),
        "whatsapp": (
            "",
            "Estimado/a {{ guardian_name }}:\n"
            "\n"
            "{{ school_name }} le ha escrito sobre la asistencia de {{ student_name }}: {{ "
            "letter_title }}.\n"
            "\n"
            "Lea la carta: {{ letter_link }}\n"
            "\n"
            "Por favor, comuníquese con la oficina de asistencia para hablarlo.",
        ),
        "email": (
            "{{ letter_title }}",
            "Estimado/a {{ guardian_name }}:\n"
            "\n"
            "{{ school_name }} le ha escrito sobre la asistencia de {{ student_name }} ({{ "
            "days_count }} días lectivos contabilizados este año).\n"
            "\n"
            "Lea la carta (PDF): {{ letter_link }}\n"
            "\n"
            "Por favor, comuníquese con la oficina de asistencia para que podamos trabajar juntos "
            "en ello.\n"
            "\n"
            "{{ school_name }}",
        ),
    },
}


def seed_spanish(apps, schema_editor):
    """Schools seeded before templates had a language get the Spanish defaults beside each English
    template of theirs that has one (never replacing a Spanish one a school already made)."""
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    for type_, texts in SPANISH.items():
        for channel, (subject, body) in texts.items():
            english = MessageTemplate.objects.filter(type=type_, channel=channel, language="en")
            have = set(
                MessageTemplate.objects.filter(type=type_, channel=channel, language="es").values_list(
                    "school_id", flat=True
                )
            )
            MessageTemplate.objects.bulk_create(
                [
                    MessageTemplate(
                        school_id=school_id, type=type_, channel=channel, language="es", subject=subject, body=body
                    )
                    for school_id in sorted(set(english.values_list("school_id", flat=True)) - have)
                ],
                batch_size=1000,
            )


def drop_other_languages(apps, schema_editor):
    """Going back to one template per type and channel: only the English ones can stay."""
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    MessageTemplate.objects.exclude(language="en").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0006_result_notice_templates"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="messagetemplate",
            options={"ordering": ["type", "channel", "language"]},
        ),
        migrations.AddField(
            model_name="messagetemplate",
            name="language",
            field=models.CharField(default="en", max_length=8),
        ),
        migrations.RemoveConstraint(
            model_name="messagetemplate",
            name="template_unique_type_channel",
        ),
        migrations.AddConstraint(
            model_name="messagetemplate",
            constraint=models.UniqueConstraint(
                fields=("school", "type", "channel", "language"), name="template_unique_type_channel_language"
            ),
        ),
        migrations.RunPython(seed_spanish, drop_other_languages),
    ]
