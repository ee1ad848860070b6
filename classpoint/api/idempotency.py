"""Idempotency-Key on POST: the same key and body replay the first response; the same key with
another body is a 409. Records are per user, so two integrators never collide on a key."""

import datetime
import hashlib

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException

from classpoint.errors import ApiErrorCode
from classpoint.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class IdempotencyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = ApiErrorCode.IDEMPOTENCY_CONFLICT
    default_detail = "This Idempotency-Key was already used with a different request body."


class IdempotencyInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = ApiErrorCode.IDEMPOTENCY_IN_PROGRESS
    default_detail = "A request with this Idempotency-Key is still being processed; retry shortly."


class IdempotentReplay(Exception):
    def __init__(self, record):
        self.record = record


def request_fingerprint(request):
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request._request.path.encode())
    digest.update(b"\0")
    if request._request.content_type == "multipart/form-data":
        _digest_multipart(digest, request)
    else:
        digest.update(request._request.body or b"")
    return digest.hexdigest()


def _digest_multipart(digest, request):
    """An upload may be larger than Django keeps in memory as a raw body (and its boundary differs
    on every send): fingerprint the parsed fields and each file's bytes, read in chunks."""
    data = request.data
    for key in sorted(data.keys()):
        for value in data.getlist(key) if hasattr(data, "getlist") else [data[key]]:
            digest.update(key.encode() + b"\0")
            if hasattr(value, "chunks"):
                digest.update(f"{value.name}\0{value.size}\0".encode())
                for chunk in value.chunks():
                    digest.update(chunk)
                value.seek(0)
            else:
                digest.update(str(value).encode() + b"\0")


def begin(request):
    """Called after authentication. Returns the new record, raises IdempotentReplay, or raises 409."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or not key or not request.user.is_authenticated:
        return None
    if len(key) > MAX_KEY_LENGTH:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({HEADER: [f"Use at most {MAX_KEY_LENGTH} characters."]})
    fingerprint = request_fingerprint(request)
    existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    if existing is None:
        try:
            return IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                method=request.method,
                path=request._request.path[:500],
                request_hash=fingerprint,
            )
        except IntegrityError:  # a concurrent request with the same key got there first
            existing = IdempotencyRecord.objects.get(user=request.user, key=key)
    if existing.request_hash != fingerprint:
        raise IdempotencyConflict()
    if existing.status_code is None:
        if _take_over_abandoned(existing):
            return existing
        raise IdempotencyInProgress()
    raise IdempotentReplay(existing)


def _take_over_abandoned(record):
    """A record still in progress after longer than any request may run was left by a process that
    died mid-request (nothing released it). One retry takes it over: the conditional UPDATE lets only
    one of several simultaneous retries win."""
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.IDEMPOTENCY_IN_PROGRESS_TIMEOUT_SECONDS)
    if record.created_at >= cutoff:
        return False
    won = IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True, created_at__lt=cutoff).update(
        created_at=now
    )
    record.created_at = now
    return won == 1


def release(record):
    """The request raised before answering: nothing was promised, so the client may retry."""
    if record is not None:
        IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()


def finish(record, response):
    if record is None:
        return
    if response.status_code >= 500:
        release(record)
        return
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, response_body=getattr(response, "data", None)
    )
