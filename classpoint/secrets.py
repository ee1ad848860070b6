"""Named secrets (`classpoint/{env}/providers/twilio`, `classpoint/{env}/payments/webhook`).

The database and the repo only ever hold the name. The backend resolves it:
- env:  the environment variable named after the secret, upper-cased with non-alphanumerics as
        underscores (CLASSPOINT_DEV_PROVIDERS_TWILIO), holding JSON or a plain string;
- file: a JSON object in SECRETS_FILE mapping names to values (local development);
- aws:  AWS Secrets Manager (GetSecretValue), cached briefly per process.
"""

import json
import os
import re
import time

from django.conf import settings

from .errors import DomainError, KernelErrorCode

_CACHE_SECONDS = 300
_cache = {}


class SecretNotFound(DomainError):
    codes = KernelErrorCode
    code = KernelErrorCode.SECRET_NOT_FOUND


def secret_name(kind, key):
    """The conventional name, e.g. secret_name("providers", "twilio")."""
    return f"classpoint/{settings.CLASSPOINT_ENV}/{kind}/{key}"


def _decode(raw):
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def _from_env(name):
    var = re.sub(r"[^A-Za-z0-9]+", "_", name).upper()
    if var not in os.environ:
        raise SecretNotFound(f"Secret {name} is not configured (set {var}).", code=KernelErrorCode.SECRET_NOT_FOUND)
    return _decode(os.environ[var])


def _from_file(name):
    try:
        with open(settings.SECRETS_FILE, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError as exc:
        raise SecretNotFound(
            f"Secrets file {settings.SECRETS_FILE} does not exist.", code=KernelErrorCode.SECRET_NOT_FOUND
        ) from exc
    if name not in data:
        raise SecretNotFound(f"Secret {name} is not in the secrets file.", code=KernelErrorCode.SECRET_NOT_FOUND)
    return data[name]


def _from_aws(name):
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client(
        "secretsmanager", region_name=settings.SECRETS_AWS_REGION, endpoint_url=settings.SECRETS_AWS_ENDPOINT_URL
    )
    try:
        response = client.get_secret_value(SecretId=name)
    except ClientError as exc:
        raise SecretNotFound(
            f"Secret {name} could not be read from Secrets Manager.", code=KernelErrorCode.SECRET_NOT_FOUND
        ) from exc
    return _decode(response.get("SecretString"))


BACKENDS = {"env": _from_env, "file": _from_file, "aws": _from_aws}


def get_secret(name):
    hit = _cache.get(name)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    value = BACKENDS[settings.SECRETS_BACKEND](name)
    _cache[name] = (time.monotonic() + _CACHE_SECONDS, value)
    return value


def clear_cache():
    _cache.clear()
