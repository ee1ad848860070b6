"""Handlers by event type. Each app registers its own in `<app>/handlers.py`, loaded at start-up.

A handler takes one event, or, registered with `batch=True`, a list of events of one school. Batch
handlers are for types that arrive by the thousand (an announcement asks for one message per
guardian): the worker hands them a claimed batch at once, in one transaction, so per-event set-up
(the school's settings, its templates) is paid once. A type has either kind, never both."""

import importlib
from collections import defaultdict

from django.apps import apps

_handlers = defaultdict(list)
_batch_types = set()


def handles(event_type, *, batch=False):
    """Decorator: `@handles("payment.confirmed")` on `def f(event)`, or
    `@handles("messaging.requested", batch=True)` on `def f(events)`. Handlers must be idempotent."""

    def register(func):
        if _handlers[event_type] and (event_type in _batch_types) != batch:
            raise ValueError(f"{event_type} mixes batch and single-event handlers")
        if batch:
            _batch_types.add(event_type)
        if func not in _handlers[event_type]:
            _handlers[event_type].append(func)
        return func

    return register


def handlers_for(event_type):
    return tuple(_handlers.get(event_type, ()))


def is_batch_type(event_type):
    return event_type in _batch_types


def registered_event_types():
    return sorted(k for k, v in _handlers.items() if v)


def autodiscover_handlers():
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.handlers")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.handlers":
                raise
