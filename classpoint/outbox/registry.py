"""Handlers by event type. Each app registers its own in `<app>/handlers.py`, loaded at start-up."""

import importlib
from collections import defaultdict

from django.apps import apps

_handlers = defaultdict(list)


def handles(event_type):
    """Decorator: `@handles("payment.confirmed")` on `def f(event)`. Handlers must be idempotent."""

    def register(func):
        if func not in _handlers[event_type]:
            _handlers[event_type].append(func)
        return func

    return register


def handlers_for(event_type):
    return tuple(_handlers.get(event_type, ()))


def registered_event_types():
    return sorted(k for k, v in _handlers.items() if v)


def autodiscover_handlers():
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.handlers")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.handlers":
                raise
