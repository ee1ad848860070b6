"""Starting imports: from an uploaded file in storage, from the workspace form, from a shell."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from classpoint.audit import audit
from classpoint.files import new_key
from classpoint.outbox import emit

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import ImportJob
from .csvfile import CsvFileError, refuse_non_csv

SNIFF_BYTES = 4096


def upload_prefix(school):
    return f"imports/{school.pk}/uploads"


def check_upload(uploaded):
    """Refuse what is obviously not a CSV before it is stored: size, then a sniff of the bytes."""
    if uploaded is None:
        raise SchoolsError("Choose a CSV file.", code=SchoolsErrorCode.NO_FILE, fields={"file": ["Choose a CSV file."]})
    if uploaded.size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        raise SchoolsError(
            "File too large.", code=SchoolsErrorCode.FILE_TOO_LARGE, fields={"file": [f"The file is over {limit} MB."]}
        )
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    if not head.strip():
        message = "This file is not a CSV (text with one student per line)."
        raise SchoolsError(message, code=SchoolsErrorCode.NOT_CSV, fields={"file": [message]})
    try:
        refuse_non_csv(head)  # the same judgement the pipeline makes, before anything is stored
    except CsvFileError as exc:
        raise SchoolsError(exc.message, code=SchoolsErrorCode.NOT_CSV, fields={"file": [exc.message]}) from exc


@transaction.atomic
def import_job_create(*, school, actor, file_key, mode, file_name=""):
    """A job for a file already in storage; `import.requested` starts it after commit."""
    if mode not in ImportJob.Mode.values:
        raise SchoolsError(
            "Unknown mode.",
            code=SchoolsErrorCode.UNKNOWN_MODE,
            fields={"mode": ["Choose “dry_run” (check only) or “import”."]},
        )
    if not file_key.startswith(upload_prefix(school) + "/") or ".." in file_key:
        raise SchoolsError(
            "Unknown file.",
            code=SchoolsErrorCode.UNKNOWN_FILE,
            fields={"file_key": ["No such upload for this school."]},
        )
    if not default_storage.exists(file_key):
        raise SchoolsError(
            "Unknown file.",
            code=SchoolsErrorCode.UNKNOWN_FILE,
            fields={"file_key": ["Nothing was uploaded there yet."]},
        )
    job = ImportJob.objects.create(
        school=school,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        file_key=file_key,
        file_name=(file_name or file_key.rsplit("/", 1)[-1])[:255],
        mode=mode,
    )
    audit(
        school=school, actor=actor, action="import.requested", target=job, changes={"file": job.file_name, "mode": mode}
    )
    emit(school=school, event_type="import.requested", payload={"import_job_id": job.pk}, dedupe_key=f"import:{job.pk}")
    return job


def import_job_from_upload(*, school, actor, uploaded, mode):
    """The workspace and the shell: store the file, then create the job."""
    check_upload(uploaded)
    key = default_storage.save(new_key(upload_prefix(school), uploaded.name), uploaded)
    return import_job_create(school=school, actor=actor, file_key=key, file_name=uploaded.name, mode=mode)
