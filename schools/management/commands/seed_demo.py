import datetime
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from classpoint.audit import audit
from classpoint.models import Counter
from schools import services
from schools.models import (
    AcademicSession,
    ClassGroup,
    Enrollment,
    Guardian,
    School,
    SchoolProfile,
    Student,
    StudentGuardian,
    Term,
)

User = get_user_model()
DEMO_PASSWORD = "classpoint-demo"
FIRST = [
    "Adaeze",
    "Chinedu",
    "Tobi",
    "Ifeoma",
    "Emeka",
    "Ngozi",
    "Olumide",
    "Funke",
    "Ibrahim",
    "Aisha",
    "Kelechi",
    "Zainab",
    "Segun",
    "Bisi",
    "Uche",
    "Amaka",
    "Tunde",
    "Halima",
    "Femi",
    "Chioma",
    "Musa",
    "Yetunde",
    "Obinna",
    "Fatima",
]
LAST = [
    "Okafor",
    "Adeyemi",
    "Bello",
    "Eze",
    "Ogunleye",
    "Nwosu",
    "Abubakar",
    "Olawale",
    "Chukwu",
    "Balogun",
    "Okonkwo",
    "Adebayo",
    "Usman",
    "Onyeka",
    "Afolabi",
    "Ibekwe",
    "Lawal",
    "Nnamdi",
    "Oyelaran",
    "Danjuma",
]
LEVELS = ["JSS 1", "JSS 2", "JSS 3", "SS 1", "SS 2", "SS 3"]
ROLES = ["school_admin", "registrar", "bursar", "teacher", "viewer"]


class Command(BaseCommand):
    help = "Load demo data (idempotent): Greenfield Academy with ~600 students, staff per role, a second school."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=600)

    def handle(self, *args, students, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo prints passwords and is for dev only (CLASSPOINT_ENV=dev).")
        platform = self._user("platform@classpoint.demo", "Platform", "Admin", staff=True)
        greenfield = self._school("greenfield", "Greenfield Academy", "admin@greenfield.demo")
        riverside = self._school("riverside", "Riverside College", "admin@riverside.demo")
        self._structure(greenfield, classes_per_level=2)
        self._structure(riverside, classes_per_level=1)
        made_g = self._students(greenfield, students, prefix="GFA")
        made_r = self._students(riverside, max(students // 20, 10), prefix="RVC")
        logins = [("platform admin (Django admin, /admin/)", platform.email)]
        for role in ROLES[1:]:  # the school admin is the provisioned admin@greenfield.demo
            user = self._user(f"{role.replace('_', '')}@greenfield.demo", role.replace("_", " ").title(), "Greenfield")
            services.membership_grant(school=greenfield, user=user, role_key=role)
            logins.append((f"greenfield {role}", user.email))
        riverside_admin = User.objects.get(email="admin@riverside.demo")
        logins.append(("riverside school_admin", riverside_admin.email))
        # The registrar also works at Riverside, so the school switcher has something to switch.
        services.membership_grant(
            school=riverside, user=User.objects.get(email="registrar@greenfield.demo"), role_key="registrar"
        )
        for email in ("admin@greenfield.demo", "admin@riverside.demo"):
            user = User.objects.get(email=email)
            if not user.has_usable_password():
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
        invoiced = self._fees(greenfield, User.objects.get(email="bursar@greenfield.demo"))
        if made_g or made_r:
            audit(school=greenfield, actor=None, action="demo.seeded", changes={"students": made_g})
        from registrar.demo import seed_registrar_demo

        applications = seed_registrar_demo(
            school=greenfield, registrar=User.objects.get(email="registrar@greenfield.demo")
        )
        # Last: the dashboard's past days are read from the KPI sinks, written from the data above.
        from registrar.kpi import kpi_seed_demo

        kpi_days = kpi_seed_demo(school=greenfield)
        summary = (
            f"Demo ready: {greenfield.students.count()} students at Greenfield (+{made_g} new), "
            f"{riverside.students.count()} at Riverside (+{made_r})."
        )
        self.stdout.write(self.style.SUCCESS(summary))
        if applications:
            self.stdout.write(f"Admissions: {applications} applications on the registrar board, a JSS 1 timetable.")
        self.stdout.write(f"Dashboard: {kpi_days} past days of KPI sinks written for Greenfield (today is live).")
        if invoiced:
            self.stdout.write(
                f"Fees: {invoiced} JSS 1 invoices issued for the current term, a few part-paid, "
                "two bank-transfer proofs waiting for review."
            )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        logins.insert(1, ("greenfield school_admin", "admin@greenfield.demo"))
        for label, email in logins:
            self.stdout.write(f"  {label:<40} {email}")

    def _user(self, email, first, last, staff=False):
        user, created = User.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": first, "last_name": last}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        if staff:
            user.is_staff = user.is_superuser = True
        user.save()
        return user

    def _school(self, slug, name, admin_email):
        school = School.objects.filter(slug=slug).first()
        if school is None:
            school, _ = services.school_provision(slug=slug, name=name, admin_email=admin_email, send_invitation=False)
        return school

    @transaction.atomic
    def _structure(self, school, classes_per_level):
        today = school.local_today()
        start_year = today.year if today.month >= 9 else today.year - 1
        session = school.sessions.filter(name=f"{start_year}/{start_year + 1}").first()
        if session is None:
            school.sessions.filter(is_current=True).update(is_current=False)
            session = AcademicSession.objects.create(
                school=school,
                name=f"{start_year}/{start_year + 1}",
                start_date=datetime.date(start_year, 9, 8),
                end_date=datetime.date(start_year + 1, 7, 24),
                is_current=True,
            )
        terms = [
            ("First term", datetime.date(start_year, 9, 8), datetime.date(start_year, 12, 18)),
            ("Second term", datetime.date(start_year + 1, 1, 6), datetime.date(start_year + 1, 4, 2)),
            ("Third term", datetime.date(start_year + 1, 4, 27), datetime.date(start_year + 1, 7, 24)),
        ]
        current_name = next((n for n, s, e in terms if s <= today <= e), None) or next(
            (n for n, s, e in terms if today < s), "Third term"
        )
        for name, start, end in terms:
            Term.objects.get_or_create(
                school=school,
                session=session,
                name=name,
                defaults={"start_date": start, "end_date": end, "is_current": False},
            )
        if not school.terms.filter(is_current=True).exists():
            school.terms.filter(session=session, name=current_name).update(is_current=True)
        teachers = list(school.staff.all())
        for i in range(len(teachers), len(LEVELS) * classes_per_level):
            teachers.append(
                services.staff_create(
                    school=school,
                    actor=None,
                    first_name=FIRST[i % len(FIRST)],
                    last_name=LAST[(i * 7) % len(LAST)],
                    title="Teacher",
                    email=f"teacher{i + 1}@{school.slug}.demo",
                )
            )
        index = 0
        for level in LEVELS:
            for arm in "ABC"[:classes_per_level]:
                ClassGroup.objects.get_or_create(
                    school=school,
                    name=f"{level}{arm}",
                    defaults={"level": level, "capacity": 60, "form_teacher": teachers[index]},
                )
                index += 1

    @transaction.atomic
    def _students(self, school, count, prefix):
        """Create students up to `count` (numbered, so a re-run adds nothing), with guardians and
        current-term enrollments; siblings share a guardian."""
        rng = random.Random(f"{school.slug}-demo")
        term = school.current_term()
        groups = list(school.class_groups.order_by("level", "name"))
        year = term.session.start_date.year if term else 2026
        # The pupils are numbered by the school's own pattern and admission counter, so a pupil the
        # demo's registrar admits (or one admitted while trying the demo) is GFA/2026/00601, not 2026/0001.
        pattern = f"{prefix}/{{YEAR}}/{{SEQ:5}}"
        profile = school.profile
        if profile.admission_number_pattern == SchoolProfile._meta.get_field("admission_number_pattern").default:
            profile.admission_number_pattern = pattern
            profile.save(update_fields=["admission_number_pattern"])
        wanted = [
            services.render_admission_number(pattern, year=year, seq=n, slug=school.slug) for n in range(1, count + 1)
        ]
        Counter.objects.get_or_create(school=school, key="admission")
        Counter.objects.filter(school=school, key="admission", value__lt=count).update(value=count)
        existing = set(school.students.filter(admission_number__in=wanted).values_list("admission_number", flat=True))
        missing = [number for number in wanted if number not in existing]
        if not missing:
            return 0
        new_students, new_guardians, families = [], [], []
        family = None
        for number in missing:
            if family is None or rng.random() > 0.25:  # about one in four shares the previous family
                last = rng.choice(LAST)
                mother = Guardian(
                    school=school,
                    first_name=rng.choice(FIRST),
                    last_name=last,
                    relationship="Mother",
                    phone=f"+23480{rng.randrange(10_000_000, 99_999_999)}",
                    email=f"{last.lower()}.{rng.randrange(1000, 9999)}@example.ng",
                    preferred_channel=rng.choice(["sms", "whatsapp", "email"]),
                    # Most families agreed to messages on admission; about one in twelve did not, so
                    # the message log also shows suppressed messages.
                    consent_sms=rng.random() > 0.08,
                    consent_whatsapp=rng.random() > 0.4,
                    consent_email=rng.random() > 0.3,
                )
                new_guardians.append(mother)
                family = (last, mother)
            last, guardian = family
            student = Student(
                school=school,
                admission_number=number,
                first_name=rng.choice(FIRST),
                last_name=last,
                gender=rng.choice(["female", "male"]),
                date_of_birth=datetime.date(2008 + rng.randrange(0, 7), rng.randrange(1, 13), rng.randrange(1, 29)),
            )
            new_students.append(student)
            families.append(guardian)
        Guardian.objects.bulk_create(new_guardians, batch_size=500)
        Student.objects.bulk_create(new_students, batch_size=500)
        StudentGuardian.objects.bulk_create(
            [
                StudentGuardian(school=school, student=s, guardian=g, is_primary=True)
                for s, g in zip(new_students, families, strict=True)
            ],
            batch_size=500,
        )
        if term and groups:
            Enrollment.objects.bulk_create(
                [
                    Enrollment(school=school, student=s, term=term, class_group=groups[i % len(groups)])
                    for i, s in enumerate(new_students)
                ],
                batch_size=500,
            )
        return len(new_students)

    def _fees(self, school, bursar):
        """Fee items, a schedule per level for the current term, and issued invoices for JSS 1 (a few
        paid in part at the counter) so the bursar's pages have something to show. Once only."""
        from fees import services as fees
        from fees.models import FeeItem
        from payments import services as payments

        term = school.current_term()
        if term is None or FeeItem.objects.for_school(school).exists():
            return 0
        items = {
            code: fees.fee_item_create(
                school=school, actor=None, code=code, name=name, category=category, default_amount_minor=amount
            )
            for code, name, category, amount in [
                ("tuition", "Tuition", "tuition", 18_500_000),
                ("levy", "Development levy", "other", 2_500_000),
                ("books", "Books", "books", 3_200_000),
                ("bus", "School bus", "transport", 4_000_000),
            ]
        }
        for level in LEVELS:
            fees.fee_schedule_create(
                school=school,
                actor=None,
                term=term,
                level=level,
                name=f"{level}, {term.name}",
                lines=[
                    {
                        "fee_item": items["tuition"],
                        "amount_minor": 18_500_000 + 1_000_000 * LEVELS.index(level),
                        "due_date": term.start_date,
                    },
                    {"fee_item": items["levy"], "amount_minor": 2_500_000},
                    {"fee_item": items["books"], "amount_minor": 3_200_000},
                    {"fee_item": items["bus"], "amount_minor": 4_000_000, "optional": True},
                ],
            )
        count = 0
        students = school.students.filter(
            enrollments__term=term, enrollments__class_group__level="JSS 1", enrollments__status="active"
        ).order_by("admission_number")
        today = school.local_today()
        for i, student in enumerate(students):
            # Invoices go out as a bursary sends them: a first run six weeks ago and a second three
            # weeks ago (now overdue, for the defaulters list), the rest today. Each is dated by the
            # same rule as any invoice, so none is issued after its due date.
            issued_on = today - datetime.timedelta(weeks=(6, 3, 0)[i % 3])
            invoice = fees.invoice_create(school=school, actor=bursar, student=student, term=term)
            invoice = fees.invoice_issue(invoice=invoice, actor=bursar, issued_on=issued_on)
            # Most families who were billed weeks ago have paid; a few paid part or nothing, which
            # is what a real defaulters list looks like (about one in eight older invoices overdue).
            if i in (1, 2):
                self._transfer_proof(invoice)
            elif issued_on < today and i % 8 < 6:
                payments.transaction_record(
                    invoice=invoice,
                    kind="cash",
                    amount_minor=invoice.total_minor,
                    currency=invoice.currency,
                    actor=bursar,
                )
            elif i % 4 == 0:
                payments.transaction_record(
                    invoice=invoice, kind="cash", amount_minor=10_000_000, currency=invoice.currency, actor=bursar
                )
            count += 1
        return count

    def _transfer_proof(self, invoice):
        """A guardian's bank-transfer slip waiting in the bursar's review queue."""
        import datetime

        from django.core.files.uploadedfile import SimpleUploadedFile

        from payments import proofs

        link = invoice.student.guardian_links.select_related("guardian").first()
        slip = SimpleUploadedFile("transfer-slip.png", _demo_slip_png(), content_type="image/png")
        proofs.proof_submit_upload(
            invoice=invoice,
            actor=None,
            uploaded=slip,
            amount_minor=invoice.balance_minor,
            paid_on=invoice.school.local_today() - datetime.timedelta(days=1),
            bank_reference=f"DEMO-TRF-{invoice.pk}",
            payer_name=f"{link.guardian.first_name} {link.guardian.last_name}" if link else "",
            source="guardian",
            guardian=link.guardian if link else None,
        )


def _demo_slip_png(width=240, height=120):
    """A plain PNG (a pale slip with a darker band) made without an imaging library."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + (bytes((30, 64, 120)) if 10 <= y < 30 else bytes((245, 247, 250))) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
