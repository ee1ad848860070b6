"""The kernel's own outbox handlers, found like every app's (registry.autodiscover_handlers)."""

from .outbox import probe  # noqa: F401  (`ops.probe`: registers on import)
