"""The transactional outbox: `emit` in a service's transaction, handlers run later, at least once."""

from .emit import emit
from .registry import handles

__all__ = ["emit", "handles"]
