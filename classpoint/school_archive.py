"""Moving one school between deployments: `manage.py export_school` writes one archive of what the
school owns, `manage.py import_school` (classpoint/school_archive_import.py) loads it elsewhere.

What travels is found in the app registry, never listed: the school row and every model with a key to
it (with their many-to-many tables), minus `EXCLUDED`; one pointing at a table that does not travel
(users aside) stops the export with its name. The .tar.gz holds `data/<app.Model>.jsonl` (a JSON
object per row), `users.jsonl` (the accounts the rows name: email, names, password hash; none for a
platform operator, no one's platform rights), `files/NNNNNN` indexed by `files.jsonl`, and
`manifest.json` (format, migration state per app, row counts, checksums).

Every row gets a new id on import and every reference to it is rewritten; those that are not foreign
keys (an app may not import the one above it, so it keeps a number) are named in the tables below,
held to the registry by a guard test. Kept as written, as history no code looks up: audit `changes`,
message bodies, the template context of message requests (its signed links carry the old ids),
rollover plans, import/sync error lists, batch problems.
"""

import collections
import contextlib
import datetime
import graphlib
import hashlib
import json
import os
import re
import tarfile
import tempfile
import time
from base64 import b64encode

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from django.utils.duration import duration_iso_string

from .scoping import unscoped

FORMAT = "classpoint-school-archive"
FORMAT_VERSION = 1
CHUNK = 1000  # rows read, rewritten and inserted at a time: memory stays flat however big the school

# Models with a key to the school that an archive leaves behind, with the reason. (Sessions, rate
# limits, idempotency answers, heartbeats have no school key: a user's, or the deployment's.)
EXCLUDED = {
    "fees.OwingDelta": "PostgreSQL triggers append it as the invoices are inserted; carried, it would count twice",
}

# Storage names kept in plain text columns rather than FileFields; their files travel with them.
STORED_KEY_COLUMNS = {
    "payments.Receipt": ("pdf_key",),
    "payments.PaymentProof": ("file_key",),
    "schools.ImportJob": ("file_key", "errors_key"),
}

# Once-only keys that embed row ids ("invoice.issued:42"). A kept "42" would one day name a new row
# of this deployment, and the event for it would be taken for a duplicate and dropped; so each key
# is parsed against KEY_PIECES and its ids rewritten. A key no piece matches is kept as written.
KEY_COLUMNS = {
    "classpoint.OutboxEvent": ("dedupe_key",),
    "messaging.Message": ("idempotency_key",),
    "messaging.MessageWithdrawal": ("request_key",),
    "fees.CreditEntry": ("source_key",),
}

# A key is a chain of these pieces, ":"-separated. `{app.Model}` is an id of that model (a literal
# prefix may stand before it: `g{...}`), `{app.Model|*}` an id or any other text, `*` any text.
# (classpoint.messages wraps a request's key as msg:<key>, a withdrawal's as msg-withdrawn:<key>.)
KEY_PIECES = """
    msg msg-withdrawn provisioned void applied g{schools.Guardian}
    import:{schools.ImportJob} welcome:{schools.Student} register-reminder:*:{schools.StaffProfile}
    absence:{schools.Student}:* absence-withdrawn:{schools.Student}:* absence-alert:{schools.Student}:*
    invoice:{fees.Invoice} invoice:{fees.Invoice}:* invoice.issued:{fees.Invoice} invoice-batch:{fees.InvoiceBatch}
    invoice-issued:{fees.Invoice}:{schools.Guardian} invoice-overdue:{fees.Invoice}:{classpoint.OutboxEvent|*}
    award:{fees.StudentAward}:* receipt:{payments.Receipt} proof-rejected:{payments.PaymentProof}
    payment:{payments.PaymentTransaction} reversal:{payments.PaymentTransaction}
    payment.confirmed:{payments.PaymentTransaction} payment.reversed:{payments.PaymentTransaction}
    selfreg.status:{registrar.ApplicationEvent} selfreg.converted:{registrar.Application}
    application-received:{registrar.Application} application-approved:{registrar.Application}
    application-needs-info:{registrar.ApplicationEvent} announcement.published:{messaging.Announcement}
    announcement:{messaging.Announcement}:{schools.Guardian} announcement:{messaging.Announcement}:{schools.Guardian}:*
    req:{classpoint.OutboxEvent}:{schools.Guardian}:* retry:{messaging.Message}:*
    result.ready:{schools.Student}:{schools.Term} result.updated:{schools.Student}:{schools.Term}:*
    result.withheld:{schools.Student}:{schools.Term} truancy-letter:{academics.Intervention}:{schools.Guardian}
""".split()

# Integer columns holding another row's id without a foreign key (fees sits below payments).
ID_COLUMNS = {
    ("fees.Allocation", "transaction_id"): "payments.PaymentTransaction",
    ("messaging.Message", "request_event_id"): "classpoint.OutboxEvent",
    ("messaging.MessageWithdrawal", "event_id"): "classpoint.OutboxEvent",
}
# Ids whose model a sibling column names: {(model, id column): (type column, {type: model} or None
# when the type column holds the model's label itself, as the audit log's target_type does)}.
_SIS = {"student": "Student", "guardian": "Guardian", "class_group": "ClassGroup", "enrollment": "Enrollment"}
TYPED_ID_COLUMNS = {
    ("classpoint.AuditLog", "target_id"): ("target_type", None),
    ("academics.SisLink", "local_id"): ("kind", {kind: f"schools.{name}" for kind, name in _SIS.items()}),
}

# Event payloads carry ids as `<name>_id` / `<name>_ids`; <name> is the model's name (class_group ->
# ClassGroup) unless said here. Ids of tables the archive does not carry (webhook_event_id: the
# gateway's delivery, kept by the deployment) are kept as written.
PAYLOAD_COLUMNS = {"classpoint.OutboxEvent": ("payload", "event_type")}
PAYLOAD_ID_ALIASES = {
    "transaction": "payments.PaymentTransaction",
    "batch": "fees.InvoiceBatch",
    "staff": "schools.StaffProfile",
    "mark": "academics.AttendanceMark",
}
PAYLOAD_EVENT_IDS = {"selfreg.status.updated": {"event_id": "registrar.ApplicationEvent"}}
PAYLOAD_KEYS = ("dedupe_key", "request_key")  # a withdrawal names the request it takes back


class SchoolArchiveError(Exception):
    """An archive that cannot be written or loaded here; the message says why, for the operator."""


def school_model():
    return apps.get_model(settings.CLASSPOINT_SCHOOL_MODEL)


# A carried model, its label and the lookup that finds one school's rows ("pk", "school",
# "guardianlist__school" for a many-to-many table).
Carried = collections.namedtuple("Carried", "model label owner")


def _school_key(model, school):
    keys = [f for f in relations(model) if f.related_model is school]
    if len(keys) > 1 and not any(f.name == "school" for f in keys):
        raise ImproperlyConfigured(f"{model._meta.label} has several keys to the school; name one `school`.")
    return next((f for f in keys if len(keys) == 1 or f.name == "school"), None)


def carried_models():
    """Every model an archive carries, each row's targets before it (topological on the foreign keys)."""
    school, user = school_model(), get_user_model()
    owners = {school: "pk"}
    for model in apps.get_models():
        key = _school_key(model, school)
        if key is not None and model._meta.label not in EXCLUDED:
            owners[model] = key.name
    for model, owner in list(owners.items()):
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            if through._meta.auto_created and through not in owners:
                link = next(f for f in through._meta.concrete_fields if f.is_relation and f.related_model is model)
                owners[through] = link.name if owner == "pk" else f"{link.name}__{owner}"
    for model in owners:
        if not isinstance(model._meta.pk, AutoFieldMixin):
            raise ImproperlyConfigured(f"{model._meta.label}: an archive gives rows new ids, so it needs an auto id.")
        for field in relations(model):
            if field.related_model not in owners and field.related_model is not user:
                raise ImproperlyConfigured(
                    f"{model._meta.label}.{field.name} points at {field.related_model._meta.label}, which a "
                    "school's archive does not carry: carry it (a key to the school) or exclude this model."
                )
    return [Carried(model, model._meta.label, owners[model]) for model in _targets_first(owners)]


def relations(model):
    return [f for f in model._meta.concrete_fields if f.is_relation]


def _targets_first(models_):
    def graph(required_only):
        return {
            m: {
                f.related_model
                for f in relations(m)
                if f.related_model in models_ and f.related_model is not m and not (required_only and f.null)
            }
            for m in models_
        }

    try:
        return list(graphlib.TopologicalSorter(graph(False)).static_order())
    except graphlib.CycleError:
        # Nullable links in a cycle: order by the required ones. Ids are given before any insert and
        # foreign keys are checked at commit (deferred), so a link to a row inserted later holds.
        return list(graphlib.TopologicalSorter(graph(True)).static_order())


def columns(model):
    """The stored columns an archive writes (a generated column is the database's to compute)."""
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def file_columns(model):
    names = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    return names + list(STORED_KEY_COLUMNS.get(model._meta.label, ()))


def migration_state():
    """{app label: [its latest applied migrations]} for every app whose tables an archive holds."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = {key for key in loader.applied_migrations if key in loader.graph.nodes}
    labels = {c.model._meta.app_label for c in carried_models()} | {get_user_model()._meta.app_label}
    state = {}
    for label in sorted(labels):
        mine = {key for key in applied if key[0] == label}
        state[label] = sorted(name for app, name in mine if not loader.graph.node_map[(app, name)].children & mine)
    return state


# --- Ids inside text: once-only keys and event payloads ------------------------------------------------


def _compile(piece):
    parts = []
    for segment in piece.split(":"):
        found = re.fullmatch(r"([^{}]*)\{([\w.]+)(\|\*)?\}", segment)
        parts.append(("id", found[1], found[2], bool(found[3])) if found else ("text", segment))
    return parts


_PIECES = [_compile(piece) for piece in KEY_PIECES]


def rewrite_key(key, remap):
    """(key with its ids rewritten, whether a chain of KEY_PIECES matched it; if none did, as it was).
    `remap(label, old)` gives the new id, or None for a row the school no longer has: "~old", which no
    new id ever equals."""
    if not key:
        return key, True
    segments = key.split(":")

    def parse(at):
        if at == len(segments):
            return []
        for parts in _PIECES:
            if at + len(parts) > len(segments):
                continue
            out = []
            for part, segment in zip(parts, segments[at : at + len(parts)], strict=True):
                if part[0] == "text":
                    if part[1] != "*" and part[1] != segment:
                        break
                    out.append(segment)
                    continue
                _, prefix, label, loose = part
                digits = segment[len(prefix) :] if segment.startswith(prefix) else ""
                if not digits.isdigit():
                    if not loose:
                        break
                    out.append(segment)
                    continue
                new = remap(label, int(digits))
                out.append(f"{prefix}{new}" if new is not None else f"{prefix}~{digits}")
            else:
                rest = parse(at + len(parts))
                if rest is not None:
                    return out + rest
        return None

    rewritten = parse(0)
    return (key, False) if rewritten is None else (":".join(rewritten), True)


def payload_id_model(event_type, name, by_name):
    """The label of the model a payload's `name` (ending in _id or _ids) holds ids of, or None.
    `by_name`: {model name without underscores: label} of the carried models."""
    found, special = re.fullmatch(r"(\w+?)_ids?", name), PAYLOAD_EVENT_IDS.get(event_type, {})
    if not found or name in special or name == "event_id":  # whose event an event_id is: by event type
        return special.get(name)
    return PAYLOAD_ID_ALIASES.get(found[1]) or by_name.get(found[1].replace("_", ""))


def rewrite_payload(event_type, payload, remap, by_name, key_counts):
    """A copy of an event's payload with its ids (and once-only keys) rewritten; ids of rows the
    school no longer has become None (dropped from a list), so no handler finds another row by them."""
    if not isinstance(payload, dict):
        return payload
    out = dict(payload)
    for name, value in payload.items():
        if name in PAYLOAD_KEYS and isinstance(value, str):
            out[name], parsed = rewrite_key(value, remap)
            key_counts["rewritten" if parsed else "kept"] += 1
            continue
        label = payload_id_model(event_type, name, by_name)
        if label is None:
            continue
        if isinstance(value, list):
            out[name] = [n for n in (_remap_one(label, v, remap) for v in value) if n is not None]
        else:
            out[name] = _remap_one(label, value, remap)
    return out


def _remap_one(label, value, remap):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        new = remap(label, int(value))
        return new if isinstance(value, int) or new is None else str(new)
    return value


# --- Export ------------------------------------------------------------------------------------------


def _encode(value):
    """Values JSON has no type for, as text each field's to_python reads back."""
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, (bytes, memoryview)):
        return b64encode(bytes(value)).decode()
    return value.isoformat() if isinstance(value, (datetime.date, datetime.time)) else str(value)


def export_school(*, slug, out):
    """Write `slug`'s archive to `out` (a .tar.gz path). Returns the manifest plus `seconds` and `bytes`."""
    started = time.monotonic()
    with unscoped(reason="an operator's export reads one school's rows in every table"):
        school = school_model()._base_manager.filter(slug=slug).first()
        if school is None:
            raise SchoolArchiveError(f"No school with the slug “{slug}” here.")
        partial = f"{out}.part"
        try:
            with tempfile.TemporaryDirectory(prefix="school-export-") as tmp, _snapshot():
                manifest = _write(school, tmp, partial)
            os.replace(partial, out)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    return {**manifest, "seconds": round(time.monotonic() - started, 2), "bytes": os.path.getsize(out)}


@contextlib.contextmanager
def _snapshot():
    """On PostgreSQL all tables are read in one snapshot (a payment made meanwhile is in all or none of
    them). SQLite has none without locking writers out: stop the web and workers before exporting."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield  # (inside a transaction already, e.g. a test's, its snapshot is the one there is)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _write(school, tmp, path):
    user_ids, keys, entries = set(), set(), []
    for item in carried_models():
        entries.append(_dump_model(item, school, tmp, user_ids, keys))
    users = _dump_users(user_ids, tmp)
    outbox = apps.get_model("classpoint", "OutboxEvent")._base_manager
    with tarfile.open(path, "w:gz") as tar:
        for entry in [*entries, users]:
            tar.add(entry.pop("path"), arcname=entry["member"])
        files = _add_files(tar, sorted(keys), tmp)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "exported_at": timezone.now().isoformat(),
            "school": {"slug": school.slug, "id": school.pk, "name": str(school)},
            "source": {"domain_suffix": settings.CLASSPOINT_DOMAIN_SUFFIX, "site_url": settings.SITE_URL},
            "migrations": migration_state(),
            "rows": {entry["model"]: entry["rows"] for entry in entries},
            "models": entries,
            "users": users,
            "files": files,
            "pending_events": outbox.filter(school=school, processed_at__isnull=True, dead_at__isnull=True).count(),
        }
        with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1, ensure_ascii=False)
        tar.add(handle.name, arcname="manifest.json")
    return manifest


def _dump_model(item, school, tmp, user_ids, keys):
    fields = columns(item.model)
    names = [f.attname for f in fields]
    user_at = [i for i, f in enumerate(fields) if f.is_relation and f.related_model is get_user_model()]
    file_at = [names.index(name) for name in file_columns(item.model)]
    rows = item.model._base_manager.filter(**{item.owner: school.pk}).order_by("pk").values_list(*names)

    def each():
        for row in rows.iterator(chunk_size=CHUNK):
            user_ids.update(row[i] for i in user_at if row[i] is not None)
            keys.update(row[i] for i in file_at if row[i])
            yield dict(zip(names, row, strict=True))

    return {"model": item.label, **_jsonl(tmp, f"data/{item.label}.jsonl", each())}


def _jsonl(tmp, member, rows):
    """Write `rows` (dicts) as JSON lines to tmp/member: {"member", "rows", "sha256", "path"}."""
    path, digest, count = os.path.join(tmp, member), hashlib.sha256(), 0
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        for row in rows:
            line = (json.dumps(row, default=_encode, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            handle.write(line)
            digest.update(line)
            count += 1
    return {"member": member, "rows": count, "sha256": digest.hexdigest(), "path": path}


def _dump_users(user_ids, tmp):
    """The accounts the rows name, minimal: who they are and their password hash, so staff sign in on
    the other side as before. A platform operator's hash stays here (their rights do not travel, and
    an account without them needs no key to this deployment's console)."""
    model = get_user_model()
    wanted = ("first_name", "last_name", "password", "is_active", "date_joined")
    names = [model.get_email_field_name(), *(f.name for f in model._meta.concrete_fields if f.name in wanted)]
    ids = sorted(user_ids)

    def each():
        for start in range(0, len(ids), CHUNK):
            for user in model._base_manager.filter(pk__in=ids[start : start + CHUNK]).order_by("pk"):
                row = {"id": user.pk, "username": user.get_username(), "email": getattr(user, names[0]) or ""}
                row.update({n: getattr(user, n) for n in names[1:]})
                if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
                    row["password"] = ""
                yield row

    return _jsonl(tmp, "users.jsonl", each())


def _add_files(tar, keys, tmp):
    missing, total = [], 0

    def each():
        nonlocal total
        for number, key in enumerate(keys, 1):
            if not default_storage.exists(key):
                missing.append(key)
                continue
            member = f"files/{number:06d}"
            with default_storage.open(key, "rb") as source, tempfile.SpooledTemporaryFile(8 << 20) as buffer:
                digest, size = hashlib.sha256(), 0
                for block in iter(lambda: source.read(1 << 20), b""):
                    digest.update(block)
                    buffer.write(block)
                    size += len(block)
                buffer.seek(0)
                info = tarfile.TarInfo(member)
                info.size, info.mtime = size, int(time.time())
                tar.addfile(info, buffer)
            total += size
            yield {"key": key, "member": member, "size": size, "sha256": digest.hexdigest()}

    index = _jsonl(tmp, "files.jsonl", each())
    tar.add(index["path"], arcname="files.jsonl")
    return {"member": "files.jsonl", "count": index["rows"], "bytes": total, "missing": missing}
