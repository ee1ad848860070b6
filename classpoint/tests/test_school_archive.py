"""Moving a school (classpoint/school_archive.py): what travels is found in the registry, the archive
goes to another slug (the second database of these tests) with every number, counter, file and
reference intact, pointing only at its own rows; and what must be refused is refused with nothing
written."""

import io
import json
import os
import re
import tarfile

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Sum

from classpoint import school_archive as sa
from classpoint import school_archive_import as sai
from classpoint.models import ApiToken, AuditLog, Counter, OutboxEvent
from classpoint.outbox import worker
from schools import services as school_services
from schools.models import School

User = get_user_model()

# `*_key` / `*_ref` columns that are neither stored files nor once-only keys with ids in them.
PLAIN_KEY_COLUMNS = {
    ("messaging.ProviderConfig", "secret_key"),  # the name of a secret, the same in every deployment
    ("academics.SisConnection", "credentials_ref"),
}


def carried():
    return sa.carried_models()


def rows_of(school):
    return {c.label: c.model._base_manager.filter(**{c.owner: school.pk}).count() for c in carried()}


def stored_files():
    found = []
    for folder, _, names in os.walk(default_storage.location):
        found += [os.path.join(folder, name) for name in names]
    return sorted(found)


def everything():
    """Every table an archive writes to, every account and every stored file: what a refused import
    must leave as it was."""
    tables = {c.label: c.model._base_manager.count() for c in carried()}
    return tables, User.objects.count(), stored_files()


def export(school, tmp_path):
    out = tmp_path / f"{school.slug}.tar.gz"
    call_command("export_school", school=school.slug, out=str(out), stdout=io.StringIO())
    return out


def rewrite_manifest(path, change):
    """A copy of the archive whose manifest `change` edited (members kept in order)."""
    tampered = path.with_name("tampered.tar.gz")
    with tarfile.open(path, "r:gz") as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return tampered


# --- What travels --------------------------------------------------------------------------------


def test_every_model_with_a_key_to_the_school_travels_or_is_excluded_with_a_reason():
    with_key = {
        model._meta.label
        for model in apps.get_models()
        if any(f.is_relation and f.related_model is School for f in model._meta.concrete_fields)
    }
    labels = {c.label for c in carried()}

    assert with_key - labels == set(sa.EXCLUDED)
    assert all(reason.strip() for reason in sa.EXCLUDED.values())
    assert {"schools.School", "classpoint.AuditLog", "classpoint.Counter", "messaging.GuardianList_guardians"} <= labels


def test_no_table_points_at_a_school_s_rows_without_travelling_with_them():
    models = {c.model for c in carried()} | {apps.get_model(label) for label in sa.EXCLUDED}
    for model in apps.get_models(include_auto_created=True):
        if model not in models:
            pointing = [f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model in models]
            assert not pointing, f"{model._meta.label}.{pointing} would be left behind"


def test_rows_are_loaded_after_the_rows_they_must_point_at():
    order = [c.model for c in carried()]
    for at, model in enumerate(order):
        for field in sa.relations(model):
            if field.related_model in order and field.related_model is not model and not field.null:
                assert order.index(field.related_model) < at, f"{model._meta.label}.{field.name}"


def test_the_columns_the_reference_tables_name_exist_and_point_at_travelling_models():
    labels = {c.label for c in carried()}
    for label, names in {**sa.STORED_KEY_COLUMNS, **sa.KEY_COLUMNS}.items():
        for name in names:
            apps.get_model(label)._meta.get_field(name)
    for (label, name), target in sa.ID_COLUMNS.items():
        apps.get_model(label)._meta.get_field(name)
        assert target in labels
    for (label, name), (kind, targets) in sa.TYPED_ID_COLUMNS.items():
        apps.get_model(label)._meta.get_field(name)
        apps.get_model(label)._meta.get_field(kind)
        assert set((targets or {}).values()) <= labels
    named = set(re.findall(r"\{([\w.]+)", " ".join(sa.KEY_PIECES)))
    named |= set(sa.PAYLOAD_ID_ALIASES.values()) | {t for ids in sa.PAYLOAD_EVENT_IDS.values() for t in ids.values()}
    assert named <= labels


def test_every_key_column_is_a_stored_file_a_key_with_ids_or_plain_text():
    for c in carried():
        for field in sa.columns(c.model):
            if field.name.endswith(("_key", "_ref")):
                known = sa.STORED_KEY_COLUMNS.get(c.label, ()) + sa.KEY_COLUMNS.get(c.label, ())
                assert field.name in known or (c.label, field.name) in PLAIN_KEY_COLUMNS, f"{c.label}.{field.name}"


def test_ids_inside_once_only_keys_are_rewritten_and_unknown_keys_kept_as_written():
    new = {("fees.Invoice", 5): 105, ("schools.Guardian", 7): 207, ("schools.Student", 3): 303}

    def remap(label, old):
        return new.get((label, old))

    assert sa.rewrite_key("msg:invoice-issued:5:7", remap) == ("msg:invoice-issued:105:207", True)
    assert sa.rewrite_key("msg-withdrawn:absence-alert:3:2026-09-30", remap) == (
        "msg-withdrawn:absence-alert:303:2026-09-30",
        True,
    )
    assert sa.rewrite_key("msg:result.updated:3:9:2:g7", remap) == ("msg:result.updated:303:~9:2:g207", True)
    assert sa.rewrite_key("invoice-overdue:5:2026-10-01", remap) == ("invoice-overdue:105:2026-10-01", True)
    assert sa.rewrite_key("payment:4:invoice:5", remap) == ("payment:~4:invoice:105", True)
    assert sa.rewrite_key("provisioned", remap) == ("provisioned", True)
    assert sa.rewrite_key("somebody-elses:5", remap) == ("somebody-elses:5", False)


# --- The round trip ------------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    """The demo school with its outbox handled (receipts, their PDFs, messages), plus what the demo
    does not make: an integration token, a saved guardian list, an announcement to two classes and
    an SIS link (the many-to-many tables, a secret hash and an id without a foreign key)."""
    call_command("seed_demo", students=60, stdout=io.StringIO())
    worker.drain()
    school = School.objects.get(slug="greenfield")
    school_services.api_token_create(school=school, name="Sync", role_key="viewer")
    guardians = list(school.guardians.order_by("pk")[:3])
    saved = apps.get_model("messaging", "GuardianList").objects.create(school=school, name="Choir parents")
    saved.guardians.set(guardians)
    notice = apps.get_model("messaging", "Announcement").objects.create(
        school=school, title="Sports day", body="Friday.", guardian_list=saved
    )
    notice.class_groups.set(school.class_groups.order_by("pk")[:2])
    student = school.students.order_by("pk").first()
    apps.get_model("academics", "SisLink").objects.create(
        school=school, adapter="aeries", kind="student", external_id="A-1", local_id=student.pk
    )
    assert apps.get_model("payments", "Receipt").objects.filter(school=school).exclude(pdf_key="").exists()
    return school


def _points_only_at(copy):
    """(model.field, count) of the copy's rows whose foreign key reaches a row of another school."""
    owners = {c.model: c.owner for c in carried()}
    crossing = []
    for c in carried():
        mine = c.model._base_manager.filter(**{c.owner: copy.pk})
        for field in sa.relations(c.model):
            if field.related_model in owners:
                reach = f"{field.name}__{owners[field.related_model]}"
                stray = mine.exclude(**{f"{field.name}__isnull": True}).exclude(**{reach: copy.pk}).count()
                if stray:
                    crossing.append((f"{c.label}.{field.name}", stray))
    return crossing


def _ids(model, school, **filters):
    return set(apps.get_model(model)._base_manager.filter(school=school, **filters).values_list("pk", flat=True))


def test_a_school_moves_with_every_row_number_counter_file_and_reference_its_own(demo, tmp_path):
    # given
    before = rows_of(demo)
    path = export(demo, tmp_path)
    with tarfile.open(path) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
    assert manifest["rows"] == before and manifest["school"]["slug"] == "greenfield"

    # when
    summary = sai.import_school(archive=str(path), slug="greenfield-copy")
    copy = School.objects.get(slug="greenfield-copy")

    # then: the same rows, the source untouched
    assert rows_of(copy) == before == rows_of(demo)
    assert summary["rows"] == sum(before.values())
    assert "keys kept as text" not in summary  # every once-only key the demo writes was understood

    # the numbers people read, and the counters that give the next ones
    def numbers(school, model, column):
        return sorted(apps.get_model(model).objects.filter(school=school).values_list(column, flat=True))

    for model, column in [
        ("fees.Invoice", "number"),
        ("payments.Receipt", "number"),
        ("schools.Student", "admission_number"),
        ("registrar.Application", "reference"),
    ]:
        assert numbers(copy, model, column) == numbers(demo, model, column) != []
    assert dict(Counter.objects.filter(school=copy).values_list("key", "value")) == dict(
        Counter.objects.filter(school=demo).values_list("key", "value")
    )

    # the stored files open, under keys of the new school
    Receipt, Document = apps.get_model("payments", "Receipt"), apps.get_model("registrar", "ApplicationDocument")
    receipt = Receipt.objects.filter(school=demo).exclude(pdf_key="").first()
    moved = Receipt.objects.get(school=copy, number=receipt.number)
    assert moved.pdf_key != receipt.pdf_key and moved.pdf_key.startswith(f"receipts/{copy.pk}/")
    assert _read(moved.pdf_key) == _read(receipt.pdf_key) and _read(moved.pdf_key).startswith(b"%PDF")
    document = Document.objects.filter(school=demo).select_related("application").first()
    twin = Document.objects.get(
        school=copy, application__reference=document.application.reference, file__endswith=document.file.name[-30:]
    )
    assert twin.file.name != document.file.name and _read(twin.file.name) == _read(document.file.name)

    # every foreign key stays inside the copy; users are the same accounts (matched by email)
    assert _points_only_at(copy) == []
    members = apps.get_model("schools", "Membership").objects
    assert set(members.filter(school=copy).values_list("user__email", flat=True)) == set(
        members.filter(school=demo).values_list("user__email", flat=True)
    )

    # and so does every id kept without one
    transactions = _ids("payments.PaymentTransaction", copy)
    allocations = apps.get_model("fees", "Allocation").objects.filter(school=copy)
    assert set(allocations.values_list("transaction_id", flat=True)) <= transactions != set()
    events = set(OutboxEvent.objects.filter(school=copy).values_list("pk", flat=True))
    requested = apps.get_model("messaging", "Message").objects.filter(school=copy, request_event_id__isnull=False)
    assert set(requested.values_list("request_event_id", flat=True)) <= events
    students = _ids("schools.Student", copy)
    targets = AuditLog.objects.filter(school=copy, target_type="schools.student").values_list("target_id", flat=True)
    assert {int(t) for t in targets} <= students
    sis = apps.get_model("academics", "SisLink").objects.get(school=copy)
    assert sis.local_id in students
    for event in OutboxEvent.objects.filter(school=copy).exclude(payload__student_id=None):
        if isinstance(event.payload.get("student_id"), int):
            assert event.payload["student_id"] in students
    invoices = _ids("fees.Invoice", copy)
    issued = OutboxEvent.objects.filter(school=copy, event_type="invoice.issued")
    assert {int(e.dedupe_key.split(":")[1]) for e in issued} <= invoices
    assert {e.payload["invoice_id"] for e in issued} <= invoices

    # many-to-many rows came along
    lists = apps.get_model("messaging", "GuardianList").objects
    assert lists.get(school=copy).guardians.count() == lists.get(school=demo).guardians.count() == 3

    # what must be unique across the deployment is the copy's own
    assert list(copy.domains.values_list("hostname", flat=True)) == ["greenfield-copy.classpoint.ng"]
    token, original = ApiToken.objects.get(school=copy), ApiToken.objects.get(school=demo)
    assert token.key_hash != original.key_hash and token.revoked_at is not None and original.revoked_at is None
    assert token.user_id != original.user_id


def _read(name):
    with default_storage.open(name, "rb") as handle:
        return handle.read()


# --- Refusals ------------------------------------------------------------------------------------


def test_a_slug_in_use_is_refused_and_nothing_is_written(school, tmp_path):
    path = export(school, tmp_path)
    before = everything()

    with pytest.raises(CommandError, match="“greenfield” is already in use here; nothing was imported"):
        call_command("import_school", str(path))

    assert everything() == before


def test_importing_an_archive_twice_refuses_the_second_time_and_a_new_slug_makes_a_copy(school, tmp_path):
    path = export(school, tmp_path)
    call_command("import_school", str(path), slug="greenfield-two", stdout=io.StringIO())
    before = everything()

    with pytest.raises(CommandError, match="already in use"):
        call_command("import_school", str(path), slug="greenfield-two")
    assert everything() == before

    call_command("import_school", str(path), slug="greenfield-three", stdout=io.StringIO())
    assert rows_of(School.objects.get(slug="greenfield-three")) == rows_of(school)


def test_an_archive_from_another_migration_state_is_refused_naming_the_app(school, tmp_path):
    path = rewrite_manifest(export(school, tmp_path), lambda m: m["migrations"].update(fees=["0001_initial"]))
    before = everything()

    with pytest.raises(
        CommandError, match=r"differs from this deployment's in fees \(fees: archive \['0001_initial'\]"
    ):
        call_command("import_school", str(path), slug="greenfield-two")

    assert everything() == before


def test_a_damaged_data_file_is_refused(school, tmp_path):
    path = rewrite_manifest(export(school, tmp_path), lambda m: m["models"][0].update(sha256="0" * 64))

    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("import_school", str(path), slug="greenfield-two")


def test_a_value_unique_across_the_deployment_already_here_is_refused_unless_importing_a_copy(school, tmp_path):
    # given: the school moved here once already, under another slug, with its integration token
    school_services.api_token_create(school=school, name="Sync", role_key="viewer")
    path = export(school, tmp_path)
    School.objects.filter(pk=school.pk).update(slug="greenfield-old")
    before = everything()

    with pytest.raises(CommandError, match="ApiToken key_hash .* is already used here; nothing was imported"):
        call_command("import_school", str(path))
    assert everything() == before

    call_command("import_school", str(path), slug="greenfield-copy", stdout=io.StringIO())
    assert ApiToken.objects.get(school__slug="greenfield-copy").revoked_at is not None


def test_a_failure_halfway_leaves_no_row_and_no_file_behind(school, tmp_path, monkeypatch):
    school.profile.logo.save("crest.png", ContentFile(b"\x89PNG\r\n\x1a\n crest"))
    path = export(school, tmp_path)
    before = everything()
    load = sai._Load._load

    def fail_at_the_audit_log(self, item):
        if item.label == "classpoint.AuditLog":
            raise RuntimeError("disk full")
        return load(self, item)

    monkeypatch.setattr(sai._Load, "_load", fail_at_the_audit_log)

    with pytest.raises(RuntimeError, match="disk full"):
        call_command("import_school", str(path), slug="greenfield-two")

    assert everything() == before


# --- People --------------------------------------------------------------------------------------


def test_staff_unknown_here_are_created_with_their_password_and_no_platform_rights(school, alice, tmp_path):
    # given: alice also runs the platform where the school comes from; here nobody knows her
    User.objects.filter(pk=alice.pk).update(is_staff=True, is_superuser=True)
    bursar = User.objects.create_user("bursar@greenfield.test", "bursar@greenfield.test", "pw-1")
    school_services.membership_grant(school=school, user=bursar, role_key="bursar")
    path = export(school, tmp_path)
    for user in (alice, bursar):
        User.objects.filter(pk=user.pk).update(email="", username=f"elsewhere-{user.pk}")

    # when
    call_command("import_school", str(path), slug="greenfield-two", stdout=io.StringIO())

    # then
    moved = apps.get_model("schools", "Membership").objects.filter(school__slug="greenfield-two")
    new_bursar = moved.get(user__email="bursar@greenfield.test").user
    assert new_bursar.pk != bursar.pk and new_bursar.password == bursar.password and new_bursar.check_password("pw-1")
    new_alice = moved.get(role__key="school_admin").user
    assert new_alice.pk != alice.pk and not new_alice.has_usable_password()
    assert not (new_alice.is_staff or new_alice.is_superuser or new_bursar.is_staff)


def test_export_of_an_unknown_school_says_so(db, tmp_path):
    with pytest.raises(CommandError, match="No school with the slug “nowhere”"):
        call_command("export_school", school="nowhere", out=str(tmp_path / "x.tar.gz"))
    assert not (tmp_path / "x.tar.gz").exists()


@pytest.mark.postgres  # the owing totals are rows of PostgreSQL triggers; SQLite sums the invoices
def test_owing_totals_are_rebuilt_by_the_database_not_carried(demo, tmp_path):
    OwingDelta = apps.get_model("fees", "OwingDelta")
    call_command("import_school", str(export(demo, tmp_path)), slug="greenfield-copy", stdout=io.StringIO())
    totals = OwingDelta.objects.values("school__slug").annotate(owed=Sum("outstanding_minor"), n=Sum("invoices"))
    by_school = {row["school__slug"]: (row["owed"], row["n"]) for row in totals}
    assert by_school["greenfield-copy"] == by_school["greenfield"] != (0, 0)
