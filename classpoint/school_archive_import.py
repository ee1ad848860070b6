"""Loading a school's archive (classpoint/school_archive.py) into this deployment.

Refused with nothing written: a file that is not an archive of this format and version, a damaged
data file (checksums), a migration state that differs from this deployment's (the apps that differ
are named), a slug already in use here. Otherwise, in ONE transaction: every row is given a new id
before any is inserted (so references in any direction, foreign keys or not, are rewritten in one
pass), users are matched by email (an existing account just gains its membership; an unknown one is
created with its password hash and no platform rights), files are stored under keys that name the
new school, numbers and counters are copied as they are, and the counts are checked against the
manifest. Any failure rolls it all back and deletes the files stored so far.

The same archive twice: refused the second time, its slug being taken. `--slug NEW` makes a copy
beside the original, which cannot share what must be unique across a deployment: where the original
holds the same value, secret hashes (API tokens, staff invitations) become unusable and are revoked
(issue new ones), gateway references and provider message ids get a "~" suffix (callbacks keep
reaching the original), a custom hostname gets a "copy-" label; the default hostname follows the
slug anyway. Without --slug such a clash is refused, since it means this is not the deployment the
operator thinks it is.
"""

import collections
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import tarfile
import tempfile
import time

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from .files import new_key
from .school_archive import (
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    ID_COLUMNS,
    KEY_COLUMNS,
    PAYLOAD_COLUMNS,
    TYPED_ID_COLUMNS,
    SchoolArchiveError,
    carried_models,
    columns,
    file_columns,
    migration_state,
    relations,
    rewrite_key,
    rewrite_payload,
    school_model,
)
from .scoping import unscoped

MEMBER = re.compile(r"manifest\.json|users\.jsonl|files\.jsonl|data/[A-Za-z0-9_.]+\.jsonl|files/\d+")


def import_school(*, archive, slug=None):
    """Load `archive` (a path) under its own slug or `slug`. Returns a summary for the operator."""
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="school-import-") as tmp,
        unscoped(reason="an operator's import writes one school's rows in every table"),
    ):
        manifest = _extract(archive, tmp)
        carried = _check(manifest, tmp)
        new_slug = slug or manifest["school"]["slug"]
        _check_slug(new_slug)
        load = _Load(manifest, tmp, new_slug, copy=new_slug != manifest["school"]["slug"])
        try:
            with transaction.atomic(durable=True):
                summary = load.run(carried)
        except BaseException:
            for name in load.stored:  # storage is not transactional: undo by hand what was written
                with contextlib.suppress(Exception):  # the import's own error is the one to report
                    default_storage.delete(name)
            raise
    return {**summary, "seconds": round(time.monotonic() - started, 2)}


def domain_model():
    return apps.get_model(settings.CLASSPOINT_SCHOOL_DOMAIN_MODEL)


def _extract(archive, tmp):
    """Unpack into `tmp` in one streamed pass, refusing anything but the members an archive has."""
    if not os.path.isfile(archive) or not tarfile.is_tarfile(archive):
        raise SchoolArchiveError(f"{archive} is not a school archive (a .tar.gz written by export_school).")
    with tarfile.open(archive, "r|gz") as tar:
        for member in tar:
            if not member.isfile() or not MEMBER.fullmatch(member.name):
                raise SchoolArchiveError(f"The archive holds “{member.name}”, which no school archive has.")
            target = os.path.join(tmp, member.name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tar.extractfile(member) as source, open(target, "wb") as copy:
                shutil.copyfileobj(source, copy)
    try:
        with open(os.path.join(tmp, "manifest.json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        raise SchoolArchiveError("The archive has no readable manifest.json.") from None


def _check(manifest, tmp):
    if manifest.get("format") != FORMAT:
        raise SchoolArchiveError("This is not a Classpoint school archive (its manifest names another format).")
    if manifest.get("version") != FORMAT_VERSION:
        raise SchoolArchiveError(
            f"The archive is format version {manifest.get('version')}; this deployment reads {FORMAT_VERSION}."
        )
    here, theirs = migration_state(), manifest.get("migrations") or {}
    differ = sorted(app for app in set(here) | set(theirs) if here.get(app) != theirs.get(app))
    if differ:
        detail = "; ".join(
            f"{app}: archive {theirs.get(app) or 'none'}, here {here.get(app) or 'none'}" for app in differ
        )
        raise SchoolArchiveError(
            f"The archive's migration state differs from this deployment's in {', '.join(differ)} ({detail}). "
            "Bring both deployments to the same release, then export again."
        )
    carried = carried_models()
    listed = {entry["model"] for entry in manifest["models"]}
    mine = {item.label for item in carried}
    if listed != mine:
        names = ", ".join(sorted(listed ^ mine))
        raise SchoolArchiveError(f"The archive and this deployment carry different tables ({names}).")
    for entry in [*manifest["models"], manifest["users"]]:
        path = os.path.join(tmp, entry["member"])
        if not MEMBER.fullmatch(entry["member"]) or not os.path.isfile(path):
            raise SchoolArchiveError(f"The archive lacks {entry['member']}: it is damaged.")
        with open(path, "rb") as handle:
            if _sha256(handle) != entry["sha256"]:
                raise SchoolArchiveError(f"{entry['member']} does not match its checksum: the archive is damaged.")
    return carried


def _sha256(handle):
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _check_slug(slug):
    model = school_model()
    try:
        model._meta.get_field("slug").run_validators(slug)
    except ValidationError as exc:
        raise SchoolArchiveError(f"“{slug}” cannot be a school's slug: {' '.join(exc.messages)}") from None
    if model._base_manager.filter(slug=slug).exists():
        raise SchoolArchiveError(
            f"The slug “{slug}” is already in use here; nothing was imported. To load a copy beside it, "
            "give another slug with --slug."
        )


def new_ids(model, count):
    """`count` fresh primary keys of `model`'s table, taken before any row is inserted."""
    if not count:
        return []
    table, column, quote = model._meta.db_table, model._meta.pk.column, connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "sqlite":  # the import holds the write lock: nobody else takes ids meanwhile
            cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")  # noqa: S608 - quoted names from _meta
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            used = cursor.fetchone()
            base = max(top, used[0] if used else 0)
            return list(range(base + 1, base + count + 1))
    raise SchoolArchiveError(f"Importing into {connection.vendor} is not supported (PostgreSQL or SQLite).")


def deployment_unique(model):
    """Column groups unique across the whole table, not per school: where a copy may clash."""
    if model is school_model():
        return []  # its slug is checked on its own
    label = model._meta.label
    soft = {column for (owner, column) in [*ID_COLUMNS, *TYPED_ID_COLUMNS] if owner == label}
    groups = [
        (f.attname,)
        for f in columns(model)
        if f.unique and not f.primary_key and not f.is_relation and f.attname not in soft
    ]
    together = [(c.fields, c.condition) for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
    together += [(names, None) for names in model._meta.unique_together]
    for names, condition in together:
        fields = [model._meta.get_field(name) for name in names or ()]
        if not fields or any(f.is_relation for f in fields) or _names_relation(condition, model):
            continue  # unique with a row of this school (or only for rows without one): new rows cannot clash
        groups.append(tuple(f.attname for f in fields))
    return groups


def _names_relation(condition, model):
    if condition is None:
        return False
    for child in condition.children:
        if isinstance(child, Q):
            if _names_relation(child, model):
                return True
        elif model._meta.get_field(child[0].split("__")[0]).is_relation:
            return True
    return False


def _taken(manager, group, keys):
    """Which of `keys` (value tuples of the column `group`) rows here already hold."""
    if len(group) == 1:
        return set(manager.filter(**{f"{group[0]}__in": [k[0] for k in keys]}).values_list(*group))
    found = set()
    for start in range(0, len(keys), 100):  # short OR chains: SQLite limits an expression's depth
        clash = Q()
        for key in keys[start : start + 100]:
            clash |= Q(**dict(zip(group, key, strict=True)))
        found |= set(manager.filter(clash).values_list(*group))
    return found


class _Load:
    def __init__(self, manifest, tmp, slug, *, copy):
        self.manifest, self.tmp, self.slug, self.copy = manifest, tmp, slug, copy
        self.ids, self.users, self.files, self.stored = {}, {}, {}, []
        self.report = collections.Counter()
        self.user_label = get_user_model()._meta.label
        self.members = {entry["model"]: entry["member"] for entry in manifest["models"]}

    def remap(self, label, old):
        if label == self.user_label:
            return self.users.get(old)
        return self.ids.get(label, {}).get(old)

    def rows(self, member):
        with open(os.path.join(self.tmp, member), encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)

    def run(self, carried):
        for item in carried:
            pk = item.model._meta.pk.attname
            old = [row[pk] for row in self.rows(self.members[item.label])]
            self.ids[item.label] = dict(zip(old, new_ids(item.model, len(old)), strict=True))
        self.school_id = self.ids[school_model()._meta.label][self.manifest["school"]["id"]]
        self.labels = {item.model._meta.label_lower: item.label for item in carried}
        self.labels[get_user_model()._meta.label_lower] = self.user_label
        self.by_name = collections.Counter(item.model._meta.model_name for item in carried)
        self.by_name = {
            item.model._meta.model_name: item.label
            for item in carried
            if not item.model._meta.auto_created and self.by_name[item.model._meta.model_name] == 1
        }
        self._users()
        self._files()
        for item in carried:
            self._load(item)
        for item in carried:
            found = item.model._base_manager.filter(**{item.owner: self.school_id}).count()
            if found != self.manifest["rows"][item.label]:
                expected = self.manifest["rows"][item.label]
                raise SchoolArchiveError(f"{item.label}: {found} rows loaded, the archive has {expected}.")
        return {
            "school": self.slug,
            "school_id": self.school_id,
            "copy": self.copy,
            "rows": sum(self.manifest["rows"].values()),
            "models": len(carried),
            **{key: value for key, value in sorted(self.report.items()) if value},
        }

    def _users(self):
        model = get_user_model()
        manager, username_field = model._default_manager, model.USERNAME_FIELD
        email_field = model.get_email_field_name()
        names = {f.name for f in model._meta.concrete_fields}
        for row in self.rows("users.jsonl"):
            email = (row.get("email") or "").strip()
            found = manager.filter(**{f"{email_field}__iexact": email}).order_by("pk").first() if email else None
            if found is not None:
                self.users[row["id"]] = found.pk
                self.report["users matched by email"] += 1
                continue
            username = row["username"]
            if manager.filter(**{f"{username_field}__iexact": username}).exists():
                username = f"{username[:140]}-{secrets.token_hex(4)}"
            user = model(**{username_field: username, email_field: email})
            for name in ("first_name", "last_name", "is_active", "date_joined"):
                if name in row and name in names:
                    setattr(user, name, model._meta.get_field(name).to_python(row[name]))
            if row.get("password"):
                user.password = row["password"]  # the hash itself: they sign in here as they did there
            else:
                user.set_unusable_password()
            user.save()
            self.users[row["id"]] = user.pk
            self.report["users created"] += 1

    def _files(self):
        old_school = str(self.manifest["school"]["id"])
        for entry in self.rows("files.jsonl"):
            parts = entry["key"].split("/")
            if len(parts) > 2 and parts[1] == old_school:  # "<kind>/<school id>/...": name the new school
                parts[1] = str(self.school_id)
            name = "/".join(parts)
            if default_storage.exists(name):  # never overwrite (nor, on failure, delete) a file already here
                name = new_key(os.path.dirname(name), os.path.basename(name))
            with open(os.path.join(self.tmp, entry["member"]), "rb") as handle:
                if _sha256(handle) != entry["sha256"]:
                    raise SchoolArchiveError(f"The stored file {entry['key']} is damaged in the archive.")
                handle.seek(0)
                saved = default_storage.save(name, File(handle, name=os.path.basename(name)))
            self.stored.append(saved)
            self.files[entry["key"]] = saved
            self.report["files restored"] += 1
            self.report["file bytes"] += entry["size"]

    def _load(self, item):
        plan = _Plan(self, item.model)
        batch = []
        for row in self.rows(self.members[item.label]):
            batch.append(plan.rewrite(row))
            if len(batch) == CHUNK:
                self._flush(plan, batch)
                batch = []
        if batch:
            self._flush(plan, batch)

    def _flush(self, plan, batch):
        manager = plan.model._base_manager
        for group in plan.unique:
            wanted = {tuple(row[c] for c in group): row for row in batch if all(row[c] is not None for c in group)}
            if not wanted:
                continue
            taken = _taken(manager, group, list(wanted))
            for key in taken & wanted.keys():
                if not self.copy:
                    raise SchoolArchiveError(
                        f"{plan.label} {'/'.join(group)} “{'/'.join(map(str, key))}” is already used here; nothing "
                        "was imported. (A copy under another slug, --slug, rewrites such values.)"
                    )
                plan.make_unique(wanted[key], group)
        objects = [plan.model(**row) for row in batch]
        size = max(1, connection.ops.bulk_batch_size(plan.fields, objects))
        for start in range(0, len(objects), size):
            # raw, as loaddata saves: auto_now columns keep the archive's times instead of "now".
            manager._insert(objects[start : start + size], fields=plan.fields, raw=True)


class _Plan:
    """How each column of one model is rewritten."""

    def __init__(self, load, model):
        self.load, self.model, self.label = load, model, model._meta.label
        self.fields = columns(model)
        self.names = {f.attname for f in self.fields}
        self.pk = model._meta.pk.attname
        self.links = [(f.attname, f.related_model._meta.label) for f in relations(model)]
        self.decode = [f for f in self.fields if not f.is_relation and not isinstance(f, models.JSONField)]
        self.files = file_columns(model)
        self.ids = [(column, target) for (owner, column), target in ID_COLUMNS.items() if owner == self.label]
        self.typed = [(column, *how) for (owner, column), how in TYPED_ID_COLUMNS.items() if owner == self.label]
        self.keys = KEY_COLUMNS.get(self.label, ())
        self.payload = PAYLOAD_COLUMNS.get(self.label)
        self.unique = deployment_unique(model)
        self.is_school, self.is_domain = model is school_model(), model is domain_model()
        source = load.manifest["source"]
        self.default_host = f"{load.manifest['school']['slug']}.{source['domain_suffix']}"

    def rewrite(self, row):
        load = self.load
        row[self.pk] = load.ids[self.label][row[self.pk]]
        for column, target in self.links:
            old = row[column]
            if old is not None:
                row[column] = load.remap(target, old)
                if row[column] is None:
                    raise SchoolArchiveError(
                        f"A {self.label} row points at {target} {old}, which the archive does not hold "
                        "(a row of another school?): fix the source and export again."
                    )
        for column in self.files:
            row[column] = load.files.get(row[column], row[column])
        for column, target in self.ids:
            if row[column] is not None:
                new = load.remap(target, row[column])
                row[column] = new if new is not None else self._nowhere(column)
        for column, kind, targets in self.typed:
            self._typed(row, column, targets.get(row[kind]) if targets else load.labels.get(row[kind]))
        for column in self.keys:
            row[column], parsed = rewrite_key(row[column], load.remap)
            load.report["keys rewritten" if parsed else "keys kept as text"] += 1
        if self.payload:
            column, event_type = self.payload
            counts = collections.Counter()
            row[column] = rewrite_payload(row[event_type], row[column], load.remap, load.by_name, counts)
            load.report["keys rewritten"] += counts["rewritten"]
            load.report["keys kept as text"] += counts["kept"]
            if row.get("processed_at") is None and row.get("dead_at") is None:
                row["claimed_at"], row["claimed_by"] = None, ""  # the source's worker will not finish it here
        if self.is_school:
            row["slug"] = load.slug
        if self.is_domain and row["hostname"] == self.default_host:
            row["hostname"] = f"{load.slug}.{settings.CLASSPOINT_DOMAIN_SUFFIX}"
        for field in self.decode:
            if row[field.attname] is not None:
                row[field.attname] = field.to_python(row[field.attname])
        return row

    def _nowhere(self, column):
        """A reference to a row the school no longer has: empty, or 0 (no row's id) where it cannot be."""
        return None if self.model._meta.get_field(column).null else 0

    def _typed(self, row, column, target):
        value = row[column]
        if target is None or value is None or not str(value).isdigit():
            return
        new = self.load.remap(target, int(value))
        if isinstance(value, str):
            row[column] = str(new) if new is not None else f"~{value}"  # "~": never a new row's id
        else:
            row[column] = new if new is not None else self._nowhere(column)

    def make_unique(self, row, group):
        """Give a copy's row its own value where the original holds this one (see the module's doc)."""
        field = self.model._meta.get_field(next(n for n in reversed(group) if isinstance(row[n], str)))
        value, limit = row[field.attname], field.max_length or 255
        if field.attname.endswith("_hash"):
            row[field.attname] = secrets.token_hex(32)[:limit]  # nobody holds its secret: unusable
            if "revoked_at" in self.names and row["revoked_at"] is None:
                row["revoked_at"] = timezone.now()
        elif self.is_domain:
            row[field.attname] = f"copy-{secrets.token_hex(3)}.{value}"[:limit]
        else:
            suffix = f"~{secrets.token_hex(4)}"
            row[field.attname] = value[: limit - len(suffix)] + suffix
        self.load.report[f"rewritten in the copy: {self.label}.{field.attname}"] += 1
