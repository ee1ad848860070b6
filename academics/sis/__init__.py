"""SIS sync: Aeries API v5 and OneRoster 1.2 adapters behind one interface (base.py), and the sync
that upserts a school's pupils, guardians, class groups and enrollments from them (sync.py).

`adapter_for(connection)` builds the connection's adapter with its secret, resolved by name through
classpoint.secrets (`classpoint/{env}/sis/<credentials_ref>`); the secret never reaches the database.
"""

from classpoint.secrets import SecretNotFound, get_secret, secret_name

from .base import SisError, SisUnsupported
from .http import SisHttp

__all__ = ["SisError", "SisUnsupported", "adapter_for"]


def _adapters():
    from .aeries import AeriesAdapter
    from .oneroster import OneRosterAdapter

    return {"aeries": AeriesAdapter, "oneroster": OneRosterAdapter}


def adapter_for(connection, *, session=None):
    """The connection's adapter, ready to call; SisError when it cannot be built (unknown adapter,
    missing or malformed secret)."""
    cls = _adapters().get(connection.adapter)
    if cls is None:
        raise SisError(f"Unknown SIS adapter {connection.adapter!r}.")
    name = secret_name("sis", connection.credentials_ref)
    try:
        secret = get_secret(name)
    except SecretNotFound as exc:
        raise SisError(f"The SIS credentials are missing: {exc}") from exc
    return cls(connection, secret=secret, http=SisHttp(connection.base_url, session=session))
