"""The default message templates in Spanish (messaging.defaults holds the English ones and the rules
every default keeps: an SMS fits two segments on realistic values, the same variables as English).

Formal ("usted"), and neutral across Spain and Latin America where the words differ ("cuotas",
"boletín de notas", "comuníquese"). "Estimada familia" rather than a name, as in English, and
wordings that need no gender for the pupil ("una plaza", "la matrícula de ..."). SMS text may keep
its accents: the renderer spells á, í, ó, ú plainly on SMS so the message stays GSM-7."""

from .models import Channel, TemplateType

T, SMS, WA, EMAIL = TemplateType, Channel.SMS, Channel.WHATSAPP, Channel.EMAIL

DEFAULTS_ES = {
    T.PAYMENT_RECEIPT: {
        SMS: (
            "",
            "{{ school_name }}: recibimos {{ amount }} por {{ student_name }}. Recibo {{ receipt_number }}. "
            "Saldo pendiente: {{ balance }}. Gracias.",
        ),
        WA: (
            "",
            "Estimada familia:\n\nHemos recibido *{{ amount }}* por {{ student_name }} el {{ paid_at }}.\n"
            "Recibo: {{ receipt_number }}\nFactura: {{ invoice_number }}\nSaldo pendiente: {{ balance }}\n\n"
            "Gracias.\n{{ school_name }}",
        ),
        EMAIL: (
            "Pago recibido: {{ receipt_number }} de {{ student_name }}",
            "Estimada familia:\n\nGracias. Hemos recibido su pago de {{ amount }} por {{ student_name }} "
            "el {{ paid_at }}.\n\nNúmero de recibo: {{ receipt_number }}\nFactura: {{ invoice_number }}\n"
            "Saldo pendiente: {{ balance }}\n\nConserve este correo para sus registros.\n\n"
            "Administración\n{{ school_name }}",
        ),
    },
    T.INVOICE_ISSUED: {
        SMS: (
            "",
            "{{ school_name }}: cuotas de {{ term_name }} de {{ student_name }}: {{ amount_due }}, vencen el "
            "{{ due_date }}. Factura {{ invoice_number }}. Pagar: {{ pay_link }}",
        ),
        WA: (
            "",
            "Estimada familia:\n\nYa está disponible la factura de las cuotas de {{ term_name }} de "
            "{{ student_name }}.\nFactura: {{ invoice_number }}\nTotal a pagar: *{{ amount_due }}*\n"
            "Fecha de vencimiento: {{ due_date }}\n\nVer y pagar: {{ pay_link }}\n\n{{ school_name }}",
        ),
        EMAIL: (
            "Factura de las cuotas de {{ term_name }} de {{ student_name }}",
            "Estimada familia:\n\nYa está disponible la factura de las cuotas de {{ term_name }} de "
            "{{ student_name }}.\n\nNúmero de factura: {{ invoice_number }}\nTotal a pagar: {{ amount_due }}\n"
            "Fecha de vencimiento: {{ due_date }}\n\nPuede ver la factura y pagar en línea aquí: {{ pay_link }}\n\n"
            "Si tiene alguna pregunta, comuníquese con la administración del colegio.\n\n"
            "Administración\n{{ school_name }}\n\nGestione sus mensajes: {{ preferences_link }}",
        ),
    },
    T.OVERDUE_NOTICE: {
        SMS: (
            "",
            "{{ school_name }}: las cuotas de {{ students }} por {{ total }} están vencidas. Por favor, pague o "
            "comuníquese con la administración. Si ya pagó, ignore este mensaje.",
        ),
        WA: (
            "",
            "Estimada familia:\n\nLe recordamos amablemente que las cuotas escolares de {{ students }}, por "
            "*{{ total }}*, están vencidas.\n{{ invoice_summary }}\n\nPor favor, realice el pago o hable con la "
            "administración para acordar un plan. Si ya pagó, ignore este mensaje.\n\n{{ school_name }}",
        ),
        EMAIL: (
            "Recordatorio: cuotas escolares vencidas de {{ students }}",
            "Estimada familia:\n\nLe recordamos amablemente que las cuotas escolares de {{ students }}, por un "
            "total de {{ total }}, están vencidas.\n\n{{ invoice_summary }}\n\nLe rogamos que realice el pago, o "
            "que se comunique con la administración si desea acordar un plan de pagos. Si ya ha pagado, le "
            "damos las gracias y le pedimos que ignore este recordatorio.\n\nAdministración\n{{ school_name }}",
        ),
    },
    T.PAYMENT_PROOF_REJECTED: {
        SMS: (
            "",
            "{{ school_name }}: no pudimos confirmar su transferencia de {{ amount }} por {{ student_name }}: "
            "{{ reason }}. Comuníquese con la administración.",
        ),
        WA: (
            "",
            "Estimada familia:\n\nNo pudimos confirmar su transferencia de *{{ amount }}* por {{ student_name }} "
            "(referencia {{ bank_reference }}, {{ paid_on }}).\nMotivo: {{ reason }}\n\n"
            "Envíe un comprobante más claro o comuníquese con la administración.\n\n{{ school_name }}",
        ),
        EMAIL: (
            "No pudimos confirmar su transferencia por {{ student_name }}",
            "Estimada familia:\n\nNo pudimos confirmar su transferencia bancaria de {{ amount }} por "
            "{{ student_name }} (factura {{ invoice_number }}).\n\nReferencia: {{ bank_reference }}\n"
            "Fecha indicada: {{ paid_on }}\nMotivo: {{ reason }}\n\nEnvíe un comprobante de pago más claro o "
            "comuníquese con la administración, y lo revisaremos de nuevo.\n\nAdministración\n{{ school_name }}",
        ),
    },
    T.RESULT_READY: {
        SMS: (
            "",
            "{{ school_name }}: ya están disponibles las notas de {{ term_name }} de {{ student_name }}. "
            "Ver: {{ result_link }}",
        ),
        WA: (
            "",
            "Estimada familia:\n\nYa están disponibles las notas de {{ term_name }} de {{ student_name }} "
            "({{ class_name }}).\n\nVer el boletín de notas: {{ result_link }}\n\n{{ school_name }}",
        ),
        EMAIL: (
            "Notas de {{ term_name }} de {{ student_name }}",
            "Estimada familia:\n\nYa están disponibles las notas de {{ student_name }} de {{ term_name }} "
            "({{ class_name }}).\n\nPuede ver y descargar el boletín de notas aquí: {{ result_link }}\n\n"
            "Gracias por su apoyo.\n\n{{ school_name }}",
        ),
    },
    T.RESULT_UPDATED: {
        SMS: (
            "",
            "{{ school_name }}: se ha actualizado el boletín de notas de {{ term_name }} de {{ student_name }}. "
            "Ver: {{ result_link }}",
        ),
        WA: (
            "",
            "Estimada familia:\n\nEl boletín de notas de {{ term_name }} de {{ student_name }} ({{ class_name }}) "
            "se ha actualizado desde que se lo enviamos.\n\nVer el boletín más reciente: {{ result_link }}\n\n"
            "{{ school_name }}",
        ),
        EMAIL: (
            "Notas actualizadas de {{ term_name }} de {{ student_name }}",
            "Estimada familia:\n\nEl boletín de notas de {{ student_name }} de {{ term_name }} ({{ class_name }}) "
            "se ha actualizado desde que se lo enviamos. Utilice esta versión.\n\n"
            "Puede ver y descargar el boletín más reciente aquí: {{ result_link }}\n\n{{ school_name }}",
        ),
    },
    T.RESULT_WITHHELD: {
        SMS: (
            "",
            "{{ school_name }}: las notas de {{ term_name }} de {{ student_name }} están listas, retenidas hasta "
            "que se pague el saldo de {{ amount_owed }}.\nPagar: {{ pay_link }}\nTel: {{ school_phone }}",
        ),
        WA: (
            "",
            "Estimada familia:\n\nLas notas de {{ term_name }} de {{ student_name }} ({{ class_name }}) están "
            "listas. El boletín queda retenido hasta que se pague el saldo pendiente de *{{ amount_owed }}*.\n\n"
            "Pague aquí: {{ pay_link }}\n\nEn cuanto se salde, le enviaremos el boletín. ¿Preguntas? Llame al "
            "colegio al {{ school_phone }}.\n\n{{ school_name }}",
        ),
        EMAIL: (
            "Notas de {{ term_name }} de {{ student_name }}: saldo pendiente",
            "Estimada familia:\n\nLas notas de {{ student_name }} de {{ term_name }} ({{ class_name }}) están "
            "listas. Conforme a la política del colegio, el boletín de notas queda retenido hasta que se pague el "
            "saldo pendiente de {{ amount_owed }}.\n\nPuede pagar en línea aquí: {{ pay_link }}\n\n"
            "Una vez saldado, le enviaremos un enlace al boletín. Si ya ha pagado o desea hablarlo, llame al "
            "colegio al {{ school_phone }}.\n\nAdministración\n{{ school_name }}",
        ),
    },
    T.ANNOUNCEMENT: {
        SMS: ("", "{{ school_name }}: {{ title }}. {{ message }}"),
        WA: ("", "*{{ title }}*\n\n{{ message }}\n\n{{ school_name }}"),
        EMAIL: (
            "{{ title }}",
            "Estimada familia:\n\n{{ message }}\n\nUn cordial saludo,\n{{ school_name }}\n\n"
            "Gestione sus mensajes: {{ preferences_link }}",
        ),
    },
    T.APPLICATION_RECEIVED: {
        SMS: (
            "",
            "{{ school_name }}: hemos recibido la solicitud de {{ applicant_name }} ({{ class_name }}), "
            "ref. {{ reference }}. Nos pondremos en contacto con usted.",
        ),
        WA: (
            "",
            "Estimada familia:\n\nGracias por su solicitud a {{ school_name }}. Hemos recibido la solicitud de "
            "{{ applicant_name }} ({{ class_name }}).\nReferencia: {{ reference }}\n\n"
            "Siga su estado aquí: {{ status_link }}",
        ),
        EMAIL: (
            "Solicitud recibida: {{ applicant_name }} ({{ reference }})",
            "Estimada familia:\n\nGracias por su solicitud a {{ school_name }}. Hemos recibido la solicitud de "
            "admisión de {{ applicant_name }} para {{ class_name }}.\n\nReferencia: {{ reference }}\n\n"
            "Puede seguir su estado aquí: {{ status_link }}\nNos pondremos en contacto con usted para los "
            "próximos pasos.\n\nOficina de Admisiones\n{{ school_name }}",
        ),
    },
    T.APPLICATION_NEEDS_INFO: {
        SMS: (
            "",
            "{{ school_name }}: la solicitud de {{ applicant_name }} (ref. {{ reference }}) necesita: "
            "{{ note }}. Actualícela aquí: {{ status_link }}",
        ),
        WA: (
            "",
            "Estimada familia:\n\nLa solicitud de {{ applicant_name }} (ref. {{ reference }}) necesita algo más "
            "de su parte:\n{{ note }}\n\nActualícela aquí: {{ status_link }}\n\n{{ school_name }}",
        ),
        EMAIL: (
            "Se necesita más información: {{ applicant_name }} ({{ reference }})",
            "Estimada familia:\n\nGracias por su solicitud a {{ school_name }}. Para continuar con la solicitud "
            "de {{ applicant_name }} (referencia {{ reference }}), necesitamos:\n\n{{ note }}\n\n"
            "Actualice la solicitud aquí: {{ status_link }}\n\nOficina de Admisiones\n{{ school_name }}",
        ),
    },
    T.APPLICATION_APPROVED: {
        SMS: (
            "",
            "¡Felicidades! {{ school_name }} ofrece a {{ applicant_name }} una plaza en {{ class_name }}. "
            "Próximos pasos: {{ status_link }}",
        ),
        WA: (
            "",
            "Estimada familia:\n\n¡Felicidades! {{ school_name }} ofrece a {{ applicant_name }} una plaza en "
            "*{{ class_name }}*.\n\nVea los próximos pasos: {{ status_link }}",
        ),
        EMAIL: (
            "Oferta de admisión: {{ applicant_name }}",
            "Estimada familia:\n\n¡Felicidades! Nos complace ofrecer a {{ applicant_name }} una plaza en "
            "{{ class_name }} en {{ school_name }} (referencia {{ reference }}).\n\n"
            "Consulte los próximos pasos, incluidas la aceptación y las cuotas, aquí: {{ status_link }}\n\n"
            "Esperamos darles pronto la bienvenida.\n\nOficina de Admisiones\n{{ school_name }}",
        ),
    },
    T.WELCOME: {
        SMS: (
            "",
            "¡Bienvenidos a {{ school_name }}! La matrícula de {{ student_name }} en {{ class_name }} está "
            "completa. Recibirá en este número las cuotas, las notas y las noticias del colegio.",
        ),
        WA: (
            "",
            "Estimada familia:\n\n¡Bienvenidos a {{ school_name }}! La matrícula de {{ student_name }} en "
            "{{ class_name }} está completa.\n\nLe enviaremos aquí las cuotas, las notas y las noticias del colegio.",
        ),
        EMAIL: (
            "Bienvenidos a {{ school_name }}",
            "Estimada familia:\n\n¡Bienvenidos a {{ school_name }}! La matrícula de {{ student_name }} en "
            "{{ class_name }} está completa.\n\nEnviaremos a esta dirección las facturas, los recibos, las notas "
            "y las noticias del colegio. Esperamos trabajar con ustedes.\n\nUn cordial saludo,\n{{ school_name }}",
        ),
    },
    T.ABSENCE_ALERT: {
        SMS: (
            "",
            "{{ school_name }}, {{ date }}: aviso de asistencia de {{ student_name }} ({{ class_name }}): "
            "{{ absence }}. Si no lo esperaba, llame al colegio {{ school_phone }}",
        ),
        WA: (
            "",
            "Estimada familia:\n\n{{ date }}: aviso de asistencia de {{ student_name }} ({{ class_name }}): "
            "{{ absence }}.\nSi no lo esperaba, comuníquese con el colegio.\n\n{{ school_name }}\n{{ school_phone }}",
        ),
        EMAIL: (
            "Aviso de asistencia: {{ student_name }}",
            "Estimada familia:\n\n{{ date }}: aviso de asistencia de {{ student_name }} ({{ class_name }}): "
            "{{ absence }}.\n\nSi no lo esperaba, comuníquese con el colegio lo antes posible.\n\n"
            "{{ school_name }}\n{{ school_phone }}",
        ),
    },
    T.ABSENCE_WITHDRAWN: {
        SMS: (
            "",
            "{{ school_name }}: Actualización: {{ student_name }} sí estuvo presente el {{ date }}. "
            "Disculpe la preocupación.",
        ),
        WA: (
            "",
            "Estimada familia:\n\nActualización: {{ student_name }} sí estuvo presente el {{ date }}. "
            "Disculpe la preocupación.\n\n{{ school_name }}",
        ),
        EMAIL: (
            "Actualización: {{ student_name }} sí estuvo presente",
            "Estimada familia:\n\nActualización: {{ student_name }} sí estuvo presente el {{ date }}. "
            "Disculpe la preocupación.\n\n{{ school_name }}",
        ),
    },
    T.TRUANCY_LETTER: {
        SMS: (
            "",
            "{{ school_name }}: le hemos enviado una carta sobre la asistencia de {{ student_name }} "
            "({{ days_count }} días contabilizados). Léala: {{ letter_link }}",
        ),
        WA: (
            "",
            "Estimado/a {{ guardian_name }}:\n\n{{ school_name }} le ha escrito sobre la asistencia de "
            "{{ student_name }}: {{ letter_title }}.\n\nLea la carta: {{ letter_link }}\n\nPor favor, "
            "comuníquese con la oficina de asistencia para hablarlo.",
        ),
        EMAIL: (
            "{{ letter_title }}",
            "Estimado/a {{ guardian_name }}:\n\n{{ school_name }} le ha escrito sobre la asistencia de "
            "{{ student_name }} ({{ days_count }} días lectivos contabilizados este año).\n\n"
            "Lea la carta (PDF): {{ letter_link }}\n\nPor favor, comuníquese con la oficina de asistencia "
            "para que podamos trabajar juntos en ello.\n\n{{ school_name }}",
        ),
    },
}
