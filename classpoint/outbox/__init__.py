"""The transactional outbox: `emit` in a service's transaction, handlers run later, at least once."""

from .emit import emit, emit_many, emitted_keys
from .registry import handles

__all__ = ["emit", "emit_many", "emitted_keys", "handles"]
